"""The store's downstream: HQ's signed messages, verified before anything is stored.

Order of checks: size, JSON shape, key, Ed25519 signature, schema, addressee, expiry —
then the ledger side (`InboxLedger`, edge.sync_bridge) decides with `decide()` inside its
own transaction: a lower version of a full set (promotions) is a reported rollback
attempt (a replay included), each msg_id is applied once, an equal version is a no-op. Prices and catalog updates are per item: a
late one is applied only where it is newer than what the item has (see docs/sync.md).
Every refusal is reported: a `sync.message_refused` journal row, which reaches HQ as an
event like any other (rate-limited so a flood cannot fill the disk), and a counter.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.errors import MessageRefused
from sync.schemas import InboxMessage
from sync.signing import open_envelope

log = logging.getLogger("storenode.sync")
FULL_SET_KINDS = frozenset({"promotions"})
REPORTS_PER_MINUTE = 60


class Decision(enum.StrEnum):
    APPLY = "apply"
    DUPLICATE = "duplicate"  # this msg_id was applied before: no-op
    SAME_VERSION = "same_version"  # no-op
    LATE = "late"  # an older per-item message: applied only where newer
    ROLLBACK = "rollback"  # an older full set: refused and reported


def decide(kind: str, version: int, last_version: int, seen: bool) -> Decision:
    """What to do with a verified message, given what the ledger already holds.

    An older full set is a rollback attempt even when it is a replay of a message applied
    before (HQ never re-sends a superseded bundle: only the newest is retained).
    """
    if version < last_version and kind in FULL_SET_KINDS:
        return Decision.ROLLBACK
    if seen:
        return Decision.DUPLICATE
    if version == last_version:
        return Decision.SAME_VERSION
    if version < last_version:
        return Decision.LATE
    return Decision.APPLY


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    detail: str
    digest: str  # sha256 of the raw payload: names the message without storing it
    topic: str
    msg_id: str | None = None
    kind: str | None = None
    version: int | None = None

    def as_data(self) -> dict[str, object]:
        data: dict[str, object] = {"reason": self.reason, "detail": self.detail, "digest": self.digest, "topic": self.topic}
        for key in ("msg_id", "kind", "version"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


class InboxLedger(Protocol):
    """Where verified messages land (edge.sync_bridge over the ledger)."""

    def apply(self, message: InboxMessage) -> Decision:
        """Decide and apply in one transaction with one journal row; MessageRefused if not."""
        ...

    def refuse(self, refusal: Refusal) -> None:
        """Record a refusal (one journal row)."""
        ...

    def versions(self) -> dict[str, int]: ...

    def tick(self) -> None:
        """Periodic work (prices whose effective time has come)."""
        ...


class Inbox:
    """Verifies and applies HQ messages on a worker thread of its own (never the network's)."""

    def __init__(
        self,
        ledger: InboxLedger,
        public_key: Ed25519PublicKey,
        *,
        tenant: str,
        store: str,
        max_bytes: int,
        on_change: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ledger, self._key = ledger, public_key
        self._tenant, self._store, self._max_bytes = tenant, store, max_bytes
        self._on_change = on_change
        self._clock = clock
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._reports: list[float] = []
        self.refused = 0
        self.applied = 0

    def submit(self, topic: str, payload: bytes) -> None:
        """Called on the network thread: only queues."""
        self._queue.put((topic, payload))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync-inbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=1.0)
            except queue.Empty:
                item = ("", b"")
            if item is None:
                return
            try:
                if item[0]:
                    self.handle(*item)
                self._ledger.tick()
            except Exception:
                log.exception("inbox worker failed on a message; continuing")

    def handle(self, topic: str, payload: bytes) -> Decision | None:
        """Verify and apply one message; returns the decision, or None if it was refused."""
        digest = hashlib.sha256(payload).hexdigest()
        message: InboxMessage | None = None
        try:
            message = open_envelope(payload, self._key, self._max_bytes)
            if not message.addressed_to(self._tenant, self._store):
                raise MessageRefused("not_addressed", f"message is for {message.tenant}/{','.join(message.stores) or 'all'}")
            if message.expired():
                raise MessageRefused("expired", f"message expired at {message.expires_at.isoformat()}")
            decision = self._ledger.apply(message)
        except MessageRefused as err:
            self._report(Refusal(
                err.reason, err.message, digest, topic,
                message.msg_id if message else None, message.kind if message else None,
                message.version if message else None,
            ))
            return None
        if decision in (Decision.APPLY, Decision.LATE):
            self.applied += 1
            self._on_change()
        return decision

    def _report(self, refusal: Refusal) -> None:
        self.refused += 1
        log.warning("refused an HQ message (%s): %s", refusal.reason, refusal.detail)
        now = self._clock()
        self._reports = [t for t in self._reports if now - t < 60.0]
        if len(self._reports) >= REPORTS_PER_MINUTE:
            return  # still counted in heartbeats, not journalled: a flood must not fill the disk
        self._reports.append(now)
        self._ledger.refuse(refusal)
        self._on_change()
