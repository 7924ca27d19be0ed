"""Per-device health as the lane shows it: ok, disconnected or fault, with the last error."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace


class HealthState(enum.StrEnum):
    OK = "ok"
    DISCONNECTED = "disconnected"  # unplugged / unreachable; the driver keeps trying
    FAULT = "fault"  # reachable but not working (paper out, bad data, cover open)


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    device_id: str
    kind: str  # scanner, printer, scale, display
    state: HealthState
    last_error: str = ""
    since: float = 0.0  # time.time() of the last state change
    reconnects: int = 0


HealthListener = Callable[[DeviceHealth], None]


class HealthTracker:
    """Thread-safe holder of one device's health; tells a listener about every change of state."""

    def __init__(self, device_id: str, kind: str, listener: HealthListener | None = None) -> None:
        self._lock = threading.Lock()
        self._listener = listener
        self._health = DeviceHealth(device_id, kind, HealthState.DISCONNECTED, "not started", time.time())

    @property
    def current(self) -> DeviceHealth:
        with self._lock:
            return self._health

    def set(self, state: HealthState, error: str = "", *, reconnected: bool = False) -> None:
        """Record a state; the listener hears of it when the state or the error changed."""
        with self._lock:
            old = self._health
            # back to ok without a new error keeps the last one visible ("last error: ...")
            last_error = error if error or state is not HealthState.OK else old.last_error
            if old.state == state and old.last_error == last_error and not reconnected:
                return
            self._health = replace(
                old,
                state=state,
                last_error=last_error,
                since=time.time() if old.state != state else old.since,
                reconnects=old.reconnects + (1 if reconnected else 0),
            )
            new = self._health
        if self._listener is not None:
            try:
                self._listener(new)
            except Exception:  # a listener's bug must not stop a device
                logging.getLogger(__name__).exception("health listener failed")

    def note(self, error: str) -> None:
        """Record a problem that does not change the state (a rejected scan)."""
        self.set(self.current.state, error)
