"""The store side put together: one MQTT link carrying the publisher, the inbox and presence."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from sync.config import SyncSection
from sync.inbox import Inbox, InboxLedger
from sync.mqtt import BrokerOptions, Link
from sync.publisher import JournalSource, Publisher
from sync.schemas import Ack, Status
from sync.signing import load_public_key
from sync.topics import StoreTopics

log = logging.getLogger("storenode.sync")
DeviceHealth = Callable[[], dict[str, Any]]


def broker_options(settings: SyncSection, client_id: str) -> BrokerOptions:
    return BrokerOptions(
        host=settings.broker_host,
        port=settings.broker_port,
        client_id=client_id,
        keepalive=settings.keepalive_seconds,
        tls_ca=settings.tls_ca,
        tls_cert=settings.tls_cert,
        tls_key=settings.tls_key,
        username=settings.username,
        password=settings.password,
        session_expiry=settings.session_expiry_seconds,
        reconnect_min=settings.reconnect_min_seconds,
        reconnect_max=settings.reconnect_max_seconds,
        max_inflight=max(20, settings.in_flight_batches * 2),
    )


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class StoreSync:
    """Start with `start()`, end with `stop()`; `wake()` after committing journal rows."""

    def __init__(
        self,
        settings: SyncSection,
        *,
        tenant: str,
        store: str,
        journal: JournalSource,
        inbox: InboxLedger,
        device_health: DeviceHealth | None = None,
    ) -> None:
        self.settings = settings
        self.topics = StoreTopics(tenant, store)
        self._journal, self._inbox_ledger = journal, inbox
        self._device_health = device_health or (lambda: {})
        self._stopping = threading.Event()
        self._status_due = threading.Event()
        offline = Status(state="offline").model_dump_json().encode()
        self.link = Link(
            broker_options(settings, f"storenode-{tenant}-{store}"),
            subscriptions=[(self.topics.ack, 1), (self.topics.inbox, 1), (self.topics.all_inbox, 1)],
            on_message=self._on_message,
            on_connected=self._on_connected,
            will=(self.topics.status, offline),
        )
        self.publisher = Publisher(
            journal,
            self.link,
            store=store,
            topic=self.topics.events,
            batch_size=settings.batch_size,
            in_flight_batches=settings.in_flight_batches,
            ack_timeout=settings.ack_timeout_seconds,
        )
        self.inbox = Inbox(
            inbox,
            load_public_key(settings.hq_public_key),
            tenant=tenant,
            store=store,
            max_bytes=settings.max_payload_bytes,
            on_change=self._status_due.set,
        )
        self._presence = threading.Thread(target=self._heartbeats, name="sync-presence", daemon=True)

    def start(self) -> StoreSync:
        self.inbox.start()
        self.publisher.start()
        self.link.start()
        self._presence.start()
        return self

    def wake(self) -> None:
        self.publisher.wake()

    def stop(self) -> None:
        self._stopping.set()
        self._status_due.set()
        self._presence.join(5.0)
        self.publisher.stop()
        self.inbox.stop()
        self.link.stop(last_words=(self.topics.status, Status(state="offline", at=_now_text()).model_dump_json().encode()))

    # -- network thread ---------------------------------------------------------------------
    def _on_connected(self, session_present: bool) -> None:
        self.publisher.on_connected(session_present)
        self._status_due.set()

    def _on_message(self, topic: str, payload: bytes) -> None:
        if topic == self.topics.ack:
            try:
                self.publisher.on_ack(Ack.model_validate_json(payload))
            except ValidationError:
                log.warning("ignored a malformed ack on %s", topic)
        else:
            self.inbox.submit(topic, payload)

    # -- presence ---------------------------------------------------------------------------
    def status(self) -> Status:
        try:
            devices = self._device_health()
            json.dumps(devices)
        except Exception as err:  # a broken health probe must not stop heartbeats
            devices = {"error": str(err)[:200]}
        last_seq = self._journal.last_seq()
        acked = self.publisher.acked_seq
        return Status(
            state="online",
            at=_now_text(),
            last_seq=last_seq,
            acked_seq=acked,
            outbox_depth=max(0, last_seq - acked),
            versions=self._inbox_ledger.versions(),
            devices=devices,
            refused=self.inbox.refused,
        )

    def _heartbeats(self) -> None:
        while not self._stopping.is_set():
            self._status_due.wait(self.settings.heartbeat_seconds)
            self._status_due.clear()
            if self._stopping.is_set() or not self.link.connected.is_set():
                continue
            try:
                self.link.publish(self.topics.status, self.status().model_dump_json().encode(), retain=True)
            except Exception:
                log.exception("heartbeat failed")
