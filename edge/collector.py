"""When the node's cyclic garbage collector may pause it: young passes as they come, the
thorough ones while the lanes are quiet.

A scan on a big cart leaves thousands of objects behind (memo entries, rendered parts, carts
kept in memory). With CPython's defaults the collector examined them in passes that landed
on whichever scan tripped them: a middle pass every ~100 scans cost 25-40 ms on 20 lanes of
100-line carts, a full pass (every object the node holds) 180 ms. So:

- At start-up everything built so far is frozen out of the collector (`gc.freeze`).
- Young passes run every 5,000 new objects (1-3 ms each).
- Middle and full passes never run on their own. A middle pass every third young one
  examined a second's survivors, 7-9 ms on whichever scan it landed on (the slowest scans of
  the add benchmark), and found next to nothing: after 20 s of scans on 20 lanes with no
  pause, a full pass over everything frozen meanwhile found 144 unreachable objects. The
  `IdleCollector` thread decides:
  - while requests keep coming, it freezes the survivors of the young passes once a second
    (cheap: no object is examined);
  - when no request has been in flight for half a second (a lane is idle most of the time
    between scans), it runs a full pass, which examines only what is not frozen: what came
    since the last freeze, a few ms; then freezes the survivors;
  - in a lull (no request for 30 s) and at most every 30 minutes, a thorough pass:
    everything unfrozen, collected (~100-200 ms: the promotion bundle, the catalog caches,
    the carts) and frozen again. That is where a cycle frozen under load is finally
    collected; if no lull comes for six hours, it runs anyway.
  A thorough pass at the first pause would have been in the way of the next scan often
  enough to show (a scan every second or two, a 150 ms pass every ten seconds).

Other work that should not land on a scan runs on the same quiet ticks (`when_quiet`: the
server checkpoints the ledger's WAL there).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("storenode.collector")

YOUNG_EVERY = 5_000  # new objects per young pass (CPython's default is 700)
NEVER = 1_000_000_000  # middle and full passes: by IdleCollector only
MIDDLE_EVERY = NEVER  # young passes per middle pass (CPython's default is 10)


class Activity:
    """Requests in flight and when the last one ended (the node's event loop and, in the demo,
    the lane terminal's both count here)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.last_done = time.monotonic()
        self._lock = threading.Lock()

    def begin(self) -> None:
        with self._lock:
            self.in_flight += 1

    def end(self) -> None:
        with self._lock:
            self.in_flight -= 1
            self.last_done = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last request ended; 0 while one is in flight."""
        return 0.0 if self.in_flight > 0 else time.monotonic() - self.last_done


ACTIVITY = Activity()  # the process's HTTP requests, served (edge.api.Observe) or made (tui.api); GC is process-wide too
_running: IdleCollector | None = None


def calm_collector(young: int = YOUNG_EVERY, middle: int = MIDDLE_EVERY) -> None:
    """Freeze what start-up built and set the pass sizes above. Full passes are then left to
    IdleCollector; a process without one (a benchmark of the rules alone) runs none."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(young, middle, NEVER)


def thorough_collection() -> int:
    """Collect everything, then freeze the survivors; the number of objects collected."""
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found


class IdleCollector:
    """Runs the full passes while the node is quiet; freezes survivors while it is busy."""

    def __init__(
        self, activity: Activity = ACTIVITY, quiet_s: float = 0.5, every_s: float = 1.0, lull_s: float = 30.0,
        thorough_every_s: float = 1800.0, thorough_at_most_s: float = 6 * 3600.0,
        when_quiet: tuple[Callable[[], object], ...] = (), young: int = YOUNG_EVERY, middle: int = MIDDLE_EVERY,
    ) -> None:
        self._activity = activity
        self._young, self._middle = young, middle
        self._when_quiet = when_quiet
        self._quiet_s, self._every_s, self._lull_s = quiet_s, every_s, lull_s
        self._thorough_every_s, self._thorough_at_most_s = thorough_every_s, thorough_at_most_s
        self._stop = threading.Event()
        self._last_thorough = time.monotonic()
        self._young_at_full = -1  # young passes counted at the last full pass
        self.full_passes = self.thorough_passes = 0
        self._thread = threading.Thread(target=self._run, name="collector", daemon=True)

    def start(self) -> IdleCollector:
        """Start, unless the process runs one already (the demo serves the node and runs a lane
        terminal in one process: the node's goes on for both, and this one does nothing)."""
        global _running
        if _running is None:
            calm_collector(self._young, self._middle)
            self._thread.start()
            _running = self
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop this one's thread, if it started one (never another's)."""
        global _running
        if _running is self:
            _running = None
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self.tick()

    def tick(self) -> None:
        """One look: busy, freeze the survivors; quiet, the quiet-time work and a full pass over
        what is not frozen (if a young pass ran since the last); in a lull, or overdue, a
        thorough pass."""
        quiet_for = self._activity.quiet_for()
        since = time.monotonic() - self._last_thorough
        lull = quiet_for >= self._lull_s and since >= self._thorough_every_s
        if lull or since >= self._thorough_at_most_s:
            started = time.perf_counter()
            found = thorough_collection()
            self._last_thorough, self._young_at_full = time.monotonic(), _young_passes()
            self.thorough_passes += 1
            log.debug("thorough collection: %d objects in %.1f ms", found, (time.perf_counter() - started) * 1000)
        elif quiet_for < self._quiet_s:
            gc.freeze()
            return
        elif _young_passes() != self._young_at_full:
            gc.collect()
            gc.freeze()
            self._young_at_full = _young_passes()
            self.full_passes += 1
        for job in self._when_quiet:
            try:
                job()
            except Exception as err:  # quiet-time work must never stop the collector
                log.warning("quiet-time job %s failed: %s", getattr(job, "__qualname__", job), err)


def _young_passes() -> int:
    return int(gc.get_stats()[0]["collections"])
