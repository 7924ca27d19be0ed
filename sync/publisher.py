"""The store's upstream: journal rows in seq order, several per message, QoS 1, until HQ acks.

The journal is the outbox. `acked_seq` moves only on HQ's application-level ack (never on
a broker PUBACK); after any reconnect, a resend request or a silent HQ, sending starts
again at `acked_seq + 1`. The thread reads the ledger through its read-only view and
never takes the write lock except to note the ack (at most a few times a second), so a
sale never waits for the network.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from sync.mqtt import Link
from sync.schemas import Ack

log = logging.getLogger("storenode.sync")
ACK_SAVE_INTERVAL_S = 0.25


class OutboundRow(NamedTuple):
    seq: int
    payload: str
    prev_hash: str
    hash: str


class JournalSource(Protocol):
    """The journal as the publisher sees it (edge.sync_bridge adapts the ledger to it)."""

    def rows_after(self, seq: int, limit: int) -> Sequence[OutboundRow]: ...

    def last_seq(self) -> int: ...

    def acked_seq(self) -> int: ...

    def save_acked_seq(self, seq: int) -> None: ...


def encode_batch(store: str, rows: Sequence[OutboundRow]) -> bytes:
    """An `EventBatch` as JSON (built by hand: this is the hot path)."""
    events = [{"seq": r.seq, "payload": r.payload, "prev_hash": r.prev_hash, "hash": r.hash} for r in rows]
    return json.dumps({"v": 1, "store": store, "events": events}, separators=(",", ":"), ensure_ascii=False).encode()


class Publisher:
    """Sends `seq > acked_seq` in order with at most `window` rows unacknowledged."""

    def __init__(
        self,
        source: JournalSource,
        link: Link,
        *,
        store: str,
        topic: str,
        batch_size: int,
        in_flight_batches: int,
        ack_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source, self._link, self._store, self._topic = source, link, store, topic
        self._batch = batch_size
        self._window = batch_size * in_flight_batches
        self._ack_timeout = ack_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._acked = source.acked_seq()
        self._saved = self._acked
        self._saved_at = self._progress_at = clock()
        self._woken_at = 0.0
        self._rewind_to: int | None = None
        self._last_seq = source.last_seq()
        self._thread: threading.Thread | None = None
        self.sent_messages = 0

    # -- what others see ------------------------------------------------------------------
    @property
    def acked_seq(self) -> int:
        return self._acked

    @property
    def outbox_depth(self) -> int:
        return max(0, self._last_seq - self._acked)

    @property
    def last_seq(self) -> int:
        return self._last_seq

    # -- signals (any thread) -----------------------------------------------------------
    def wake(self) -> None:
        """New journal rows are being committed."""
        self._woken_at = self._clock()
        self._wake.set()

    def on_connected(self, _session_present: bool) -> None:
        """After any outage, resend everything HQ has not acknowledged."""
        with self._lock:
            self._rewind_to = self._acked + 1
        self._wake.set()

    def on_ack(self, ack: Ack) -> None:
        with self._lock:
            if ack.acked_seq > self._acked:
                self._acked = ack.acked_seq
                self._progress_at = self._clock()
            if ack.resend_from is not None:
                self._rewind_to = max(self._acked + 1, ack.resend_from)
        self._wake.set()

    # -- the thread -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._save_ack(force=True)

    def _save_ack(self, force: bool = False) -> None:
        acked = self._acked
        if acked != self._saved and (force or self._clock() - self._saved_at >= ACK_SAVE_INTERVAL_S):
            try:
                self._source.save_acked_seq(acked)
                self._saved, self._saved_at = acked, self._clock()
            except Exception:
                log.exception("could not note acked seq %d (will retry)", acked)

    def _run(self) -> None:
        cursor = self._acked + 1
        while not self._stopping.is_set():
            try:
                cursor = self._step(cursor)
            except Exception:
                log.exception("publisher step failed; retrying")
                self._stopping.wait(1.0)

    def _step(self, cursor: int) -> int:
        self._save_ack()
        now = self._clock()
        with self._lock:
            acked = self._acked
            if self._rewind_to is not None:
                cursor, self._rewind_to = min(cursor, self._rewind_to), None
                self._progress_at = now
            cursor = max(cursor, acked + 1)
            if cursor == acked + 1:
                self._progress_at = now
            elif now - self._progress_at > self._ack_timeout:
                log.info("no ack from HQ for %.0fs: resending from seq %d", self._ack_timeout, acked + 1)
                cursor, self._progress_at = acked + 1, now
        if not self._link.connected.is_set():
            self._wake.wait(0.2)
            self._wake.clear()
            return cursor
        budget = self._window - (cursor - 1 - acked)
        if budget <= 0:
            self._wake.wait(0.2)
            self._wake.clear()
            return cursor
        self._wake.clear()
        rows = self._source.rows_after(cursor - 1, min(self._batch, budget))
        if not rows:
            self._last_seq = max(self._last_seq, cursor - 1)
            # A commit wakes us just before it is durable: look again soon after a wake-up,
            # otherwise every half second as a safety net.
            recent = now - self._woken_at < 0.25
            if self._wake.wait(0.01 if recent else 0.5):
                self._woken_at = self._clock()
            return cursor
        self._last_seq = max(self._last_seq, rows[-1].seq)
        if self._link.publish(self._topic, encode_batch(self._store, rows)):
            self.sent_messages += 1
            return rows[-1].seq + 1
        self._wake.wait(0.2)
        return cursor
