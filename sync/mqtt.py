"""One MQTT v5 connection with its own network thread: persistent session, TLS, credentials,
reconnect with exponential backoff and full jitter (so a thousand stores do not return at once)."""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger("storenode.sync")


@dataclass(frozen=True)
class BrokerOptions:
    host: str
    port: int
    client_id: str
    keepalive: int = 30
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    username: str | None = None
    password: str | None = None
    session_expiry: int = 7 * 24 * 3600
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    max_inflight: int = 100


def backoff_delay(attempt: int, low: float, high: float, rng: random.Random) -> float:
    """Full jitter: uniform in [low, min(high, low * 2**attempt)]."""
    return rng.uniform(low, min(high, low * (2 ** min(attempt, 30))))


class Link:
    """A paho client kept connected by a thread of its own; callbacks run on that thread."""

    def __init__(
        self,
        options: BrokerOptions,
        *,
        subscriptions: Sequence[tuple[str, int]] = (),
        on_message: Callable[[str, bytes], None] | None = None,
        on_connected: Callable[[bool], None] | None = None,
        will: tuple[str, bytes] | None = None,
    ) -> None:
        self.options = options
        self.connected = threading.Event()
        self._subscriptions = list(subscriptions)
        self._on_message = on_message
        self._on_connected = on_connected
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random()
        self.connects = 0
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=options.client_id, protocol=mqtt.MQTTv5
        )
        client.max_inflight_messages_set(options.max_inflight)
        client.max_queued_messages_set(0)
        if options.tls_ca is not None:
            client.tls_set(
                ca_certs=str(options.tls_ca),
                certfile=str(options.tls_cert) if options.tls_cert else None,
                keyfile=str(options.tls_key) if options.tls_key else None,
            )
        if options.username is not None:
            client.username_pw_set(options.username, options.password)
        if will is not None:
            client.will_set(will[0], will[1], qos=1, retain=True)
        client.on_connect = self._connect_cb
        client.on_disconnect = self._disconnect_cb
        client.on_message = self._message_cb
        self._client = client

    # -- callbacks (network thread) ------------------------------------------------------
    def _connect_cb(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("broker %s:%d refused %s: %s", self.options.host, self.options.port, self.options.client_id, reason)
            return
        if self._subscriptions:
            client.subscribe(list(self._subscriptions))
        self.connects += 1
        self.connected.set()
        if self._on_connected is not None:
            self._on_connected(bool(flags.session_present))

    def _disconnect_cb(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()

    def _message_cb(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        if self._on_message is not None:
            try:
                self._on_message(message.topic, bytes(message.payload))
            except Exception:
                log.exception("handling a message on %s failed", message.topic)

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{self.options.client_id}", daemon=True)
        self._thread.start()

    def _connect_properties(self) -> Properties:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.options.session_expiry
        return props

    def _run(self) -> None:
        attempt, first = 0, True
        opts = self.options
        while not self._stopping.is_set():
            try:
                if first:
                    rc = self._client.connect(
                        opts.host, opts.port, opts.keepalive, clean_start=False,
                        properties=self._connect_properties(),
                    )
                else:
                    rc = self._client.reconnect()
                first = False
                ok = rc == MQTTErrorCode.MQTT_ERR_SUCCESS
            except (OSError, ValueError) as err:
                log.debug("broker %s:%d unreachable: %s", opts.host, opts.port, err)
                ok = False
            if ok:
                while not self._stopping.is_set():
                    if self._client.loop(0.1) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                        break
                    if self.connected.is_set():
                        attempt = 0
            self.connected.clear()
            if self._stopping.is_set():
                break
            attempt += 1
            self._stopping.wait(backoff_delay(attempt, opts.reconnect_min, opts.reconnect_max, self._rng))

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Hand a message to paho; False when not connected (the caller keeps it and retries)."""
        if not self.connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def publish_and_wait(self, topic: str, payload: bytes, *, retain: bool = False, timeout: float = 10.0) -> bool:
        """Publish QoS 1 and wait for the broker's PUBACK (for one-shot commands)."""
        if not self.connected.wait(timeout):
            return False
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    def stop(self, last_words: tuple[str, bytes] | None = None, timeout: float = 5.0) -> None:
        """Say `last_words` (retained) if connected, disconnect cleanly, end the thread."""
        if last_words is not None and self.connected.is_set():
            info = self._client.publish(last_words[0], last_words[1], qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(min(timeout, 2.0))
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._client.disconnect()  # the network thread flushes it, then sees _stopping
        if self._thread is not None:
            self._thread.join(timeout)
