"""MQTT sync with HQ: topics, message schemas, signing, the store side and the HQ side."""
