"""The node's event stream: what happens at a lane (scans, cart changes, device health, sync
status), fanned out to every client watching that lane. Publish from any thread."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from edge.fastjson import Rendered

QUEUE_LIMIT = 1000  # a client that stops reading loses old events, never blocks the node
STATUS_KINDS = frozenset({"device", "sync", "alarm"})  # replayed to a client when it connects


@dataclass(frozen=True)
class LaneEvent:
    id: int
    lane: int | None  # None: for every lane (sync status, store-wide alarms)
    kind: str
    data: dict[str, Any] | Rendered = field(default_factory=dict)  # Rendered: a cart's view, rendered once


@dataclass
class _Subscriber:
    lane: int
    queue: asyncio.Queue[LaneEvent]
    loop: asyncio.AbstractEventLoop


class EventHub:
    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.last: dict[tuple[int | None, str], LaneEvent] = {}  # latest status event per (lane, kind)

    def watched(self, lane: int) -> bool:
        """Whether any client watches `lane` (so an expensive event can be skipped when not)."""
        with self._lock:
            return any(s.lane == lane for s in self._subscribers)

    def publish(self, lane: int | None, kind: str, data: dict[str, Any] | Rendered) -> LaneEvent:
        event = LaneEvent(next(self._ids), lane, kind, data)
        with self._lock:
            if kind in STATUS_KINDS:
                self.last[(lane, kind)] = event
            targets = [s for s in self._subscribers if lane is None or s.lane == lane]
        for subscriber in targets:
            subscriber.loop.call_soon_threadsafe(self._offer, subscriber.queue, event)
        return event

    @staticmethod
    def _offer(queue: asyncio.Queue[LaneEvent], event: LaneEvent) -> None:
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(event)

    async def subscribe(self, lane: int, heartbeat_s: float = 15.0) -> AsyncIterator[LaneEvent | None]:
        """Events for `lane` (and store-wide ones) as they come; None every `heartbeat_s` of quiet."""
        subscriber = _Subscriber(lane, asyncio.Queue(QUEUE_LIMIT), asyncio.get_running_loop())
        with self._lock:
            self._subscribers.append(subscriber)
            snapshot = [e for (on, _), e in self.last.items() if on is None or on == lane]
        try:
            for event in sorted(snapshot, key=lambda e: e.id):
                yield event  # a new client learns device health and sync status at once
            while True:
                try:
                    yield await asyncio.wait_for(subscriber.queue.get(), heartbeat_s)
                except TimeoutError:
                    yield None
        finally:
            with self._lock:
                self._subscribers.remove(subscriber)
