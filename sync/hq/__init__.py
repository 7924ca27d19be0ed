"""HQ's side of sync: keys, pushing signed messages, collecting every store's events."""
