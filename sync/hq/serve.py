"""`storenode hq serve`: collect every store's events, ack them, keep pushing until applied.

Threads: the MQTT link (callbacks only queue), one writer (batches messages into one
database transaction, then acks), and the republisher (HQ's outbox until each target
store reports the version applied). Several processes may run against one PostgreSQL:
the events subscription is shared (`$share/hq/...`).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, update
from sqlalchemy.exc import OperationalError

from sync.hq import push
from sync.hq.db import hq_store, open_database, upsert
from sync.hq.ingest import StoreProgress, advance, ingest, record_version
from sync.hq.settings import HqSettings
from sync.mqtt import Link
from sync.schemas import Ack, EventBatch, Status
from sync.topics import StoreTopics, hq_events_filter, hq_status_filter, store_of

log = logging.getLogger("storenode.hq")
MAX_MESSAGES_PER_TXN = 500
GAP_GRACE_S = 0.5
RESEND_EVERY_S = 2.0


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Collector:
    """One `hq serve` process. `start()`, then `stop()`."""

    def __init__(
        self, settings: HqSettings, *, name: str | None = None, republish_seconds: float = 30.0,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine or open_database(settings.db)
        self.name = name or socket.gethostname()
        self.republish_seconds = republish_seconds
        self._queue: queue.Queue[tuple[str, str, bytes]] = queue.Queue()
        self._stopping = threading.Event()
        self._gaps: dict[str, float] = {}
        self._resent: dict[str, float] = {}
        self.stored_messages = 0
        self._republish_due = threading.Event()
        self._reassert = False
        self.link = Link(
            # No persistent session: a dead `hq serve` must not keep attracting its share of the
            # events; the stores' journals are the outbox, and they resend what was not acked.
            settings.broker(f"hq-{settings.tenant}-{self.name}", session_expiry=0),
            subscriptions=[(hq_events_filter(settings.tenant), 1), (hq_status_filter(settings.tenant), 1)],
            on_message=self._on_message,
            on_connected=self._on_connected,
        )
        self._threads = [
            threading.Thread(target=self._writer, name="hq-writer", daemon=True),
            threading.Thread(target=self._republisher, name="hq-republisher", daemon=True),
        ]

    def start(self) -> Collector:
        for thread in self._threads:
            thread.start()
        self.link.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._republish_due.set()
        self.link.stop()
        for thread in self._threads:
            thread.join(10.0)

    def _on_connected(self, _session_present: bool) -> None:
        self._reassert = True
        self._republish_due.set()

    def _on_message(self, topic: str, payload: bytes) -> None:
        leaf = topic.rsplit("/", 1)[-1]
        self._queue.put((leaf, store_of(topic), payload))

    # -- writer ---------------------------------------------------------------------------
    def _writer(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=0.25)
            except queue.Empty:
                self._recheck_gaps()
                continue
            items = [first]
            while len(items) < MAX_MESSAGES_PER_TXN:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._store(items)
            except Exception:
                log.exception("storing %d message(s) failed; the stores will resend", len(items))
                time.sleep(0.5)

    def _store(self, items: list[tuple[str, str, bytes]]) -> None:
        batches: list[EventBatch] = []
        statuses: dict[str, Status] = {}
        for leaf, store, payload in items:
            try:
                if leaf == "events":
                    batch = EventBatch.model_validate_json(payload)
                    if batch.store != store:
                        log.warning("events on %s's topic claim store %s; dropped", store, batch.store)
                        continue
                    batches.append(batch)
                elif leaf == "status":
                    statuses[store] = Status.model_validate_json(payload)
            except ValidationError as err:
                log.warning("malformed %s message from store %s dropped: %s", leaf, store, str(err)[:200])
        progress = self._transaction(batches) if batches else []
        if statuses:
            self._with_retry(lambda conn: self._record_statuses(conn, statuses))
        self.stored_messages += len(batches)
        self._acknowledge(progress)

    def _with_retry(self, work: Any) -> Any:
        """One transaction; retried when another process holds the lock or a deadlock is broken."""
        for attempt in range(8):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except OperationalError:
                if attempt == 7:
                    raise
                time.sleep(0.05 * (attempt + 1))
        return None

    def _transaction(self, batches: list[EventBatch]) -> list[StoreProgress]:
        result: list[StoreProgress] = self._with_retry(lambda conn: ingest(conn, batches))
        return result

    def _acknowledge(self, progress: list[StoreProgress]) -> None:
        now = time.monotonic()
        for item in progress:
            resend = None
            if item.gap_from is None:
                self._gaps.pop(item.store, None)
            else:
                first_seen = self._gaps.setdefault(item.store, now)
                if now - first_seen >= GAP_GRACE_S and now - self._resent.get(item.store, 0.0) >= RESEND_EVERY_S:
                    resend = item.gap_from
                    self._resent[item.store] = now
                    log.info("store %s: gap at seq %d; asking for a resend", item.store, item.gap_from)
            ack = Ack(acked_seq=item.contig_seq, resend_from=resend)
            self.link.publish(StoreTopics(self.settings.tenant, item.store).ack, ack.model_dump_json(exclude_none=True).encode())

    def _recheck_gaps(self) -> None:
        """A gap may have been filled by another process, or need a resend request."""
        if not self._gaps:
            return
        stores = sorted(self._gaps)
        progress: list[StoreProgress] = self._with_retry(lambda conn: [advance(conn, s) for s in stores])
        self._acknowledge(progress)

    def _record_statuses(self, conn: Any, statuses: dict[str, Status]) -> None:
        for store, status in sorted(statuses.items()):
            conn.execute(upsert(conn, hq_store).values(store=store).on_conflict_do_nothing())
            values: dict[str, Any] = {"state": status.state, "status": status.model_dump_json()}
            if status.state == "online":
                values["last_seen"] = status.at or _now_text()
                values["outbox_depth"] = status.outbox_depth
            conn.execute(update(hq_store).where(hq_store.c.store == store).values(**values))
            for kind, version in sorted(status.versions.items()):
                if version > 0:
                    record_version(conn, store, kind, version)

    # -- republisher ------------------------------------------------------------------------
    def _republisher(self) -> None:
        while not self._stopping.is_set():
            self._republish_due.wait(self.republish_seconds)
            self._republish_due.clear()
            if self._stopping.is_set() or not self.link.connected.is_set():
                continue
            reassert, self._reassert = self._reassert, False
            try:
                for topic, envelope, retain in push.due_publications(self.engine, self.settings.tenant, reassert=reassert):
                    self.link.publish(topic, envelope, retain=retain)
            except Exception:
                log.exception("republishing HQ's outbox failed; will retry")
