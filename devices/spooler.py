"""The print queue's worker: a job is a stored row first and printer bytes second.

Jobs come from a `JobStore` (the node's SQLite ledger; `InMemoryJobStore` for tests). A job is
rendered for the printer it is bound to when it prints, so a job redirected from a 58 mm to an
80 mm printer comes out laid out for 80 mm. The bytes are sent, then the job is marked printed:
it prints once. A failure marks it failed with the next attempt time (exponential backoff) and
holds that printer's queue, oldest job first, until then or `retry_now()`. A reprint is a new
job with `reprint=True` (the REPRINT banner).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from devices.errors import DeviceError, DeviceUnavailable, PrinterFault
from devices.health import DeviceHealth, HealthListener, HealthState, HealthTracker
from devices.profiles import PrinterProfile
from devices.receipt_layout import render
from pos.receipt import Document

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PrintJob:
    job_id: str
    printer_id: str
    document: Document
    reprint: bool = False
    attempts: int = 0  # failed attempts so far
    next_attempt_at: float = 0.0  # time.time(); 0 = as soon as possible
    last_error: str = ""
    created_at: float = 0.0


class JobStore(Protocol):
    def pending(self) -> list[PrintJob]: ...  # not yet printed, oldest first

    def mark_printed(self, job_id: str) -> None: ...

    def mark_failed(self, job_id: str, error: str, next_attempt_at: float) -> None: ...  # attempts + 1


class PrinterPort(Protocol):
    """What the spooler needs of a printer (`devices.printer.ReceiptPrinter` is one)."""

    printer_id: str
    profile: PrinterProfile

    def send(self, data: bytes) -> None: ...


def reprint_job(original: PrintJob, job_id: str, *, printer_id: str | None = None,
                created_at: float = 0.0) -> PrintJob:
    """A new job printing the same document again, marked REPRINT (to store, then wake())."""
    return PrintJob(job_id, printer_id or original.printer_id, original.document, reprint=True,
                    created_at=created_at)


def redirect_job(job: PrintJob, printer_id: str) -> PrintJob:
    """The same job bound to another printer, due now (the store saves it under the same id)."""
    return replace(job, printer_id=printer_id, next_attempt_at=0.0)


@dataclass(frozen=True, slots=True)
class Backoff:
    first_s: float = 2.0
    factor: float = 2.0
    max_s: float = 30.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failure."""
        return min(self.max_s, self.first_s * self.factor ** max(0, attempts - 1))


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job_id: str
    printer_id: str
    printed: bool
    error: str = ""


@dataclass
class _Queue:
    health: HealthTracker
    held_until: float = 0.0
    pending: int = 0


class InMemoryJobStore:
    """A thread-safe JobStore in memory; `printed` lists job ids in the order they printed."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, PrintJob] = {}
        self._clock = clock
        self.printed: list[str] = []

    def add(self, job: PrintJob) -> PrintJob:
        with self._lock:
            if job.job_id in self._jobs or job.job_id in self.printed:
                raise ValueError(f"job {job.job_id} exists")
            job = job if job.created_at else replace(job, created_at=self._clock())
            self._jobs[job.job_id] = job
            return job

    def save(self, job: PrintJob) -> None:
        with self._lock:
            self._jobs[job.job_id] = job

    def get(self, job_id: str) -> PrintJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def pending(self) -> list[PrintJob]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: (j.created_at, j.job_id))

    def mark_printed(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)
            self.printed.append(job_id)

    def mark_failed(self, job_id: str, error: str, next_attempt_at: float) -> None:
        with self._lock:
            job = self._jobs[job_id]
            self._jobs[job_id] = replace(job, attempts=job.attempts + 1, last_error=error,
                                         next_attempt_at=next_attempt_at)


class Spooler:
    """Prints pending jobs: `run_once()` by hand, or `start()` a worker; `wake()` on a new job."""

    def __init__(
        self,
        store: JobStore,
        printers: Mapping[str, PrinterPort] | Callable[[str], PrinterPort | None],
        *,
        backoff: Backoff = Backoff(),
        clock: Callable[[], float] = time.time,
        poll_s: float = 1.0,
        on_health: HealthListener | None = None,
    ) -> None:
        self.store = store
        self._printer = printers.get if isinstance(printers, Mapping) else printers
        self.backoff, self.clock, self.poll_s = backoff, clock, poll_s
        self._on_health = on_health
        self._queues: dict[str, _Queue] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._round = threading.Lock()

    def _queue(self, printer_id: str) -> _Queue:
        if printer_id not in self._queues:
            tracker = HealthTracker(printer_id, "print-queue", self._on_health)
            tracker.set(HealthState.OK)
            self._queues[printer_id] = _Queue(tracker)
        return self._queues[printer_id]

    def health(self, printer_id: str) -> DeviceHealth:
        """The print queue's view of a printer: ok, or the fault that holds its jobs."""
        return self._queue(printer_id).health.current

    def pending_count(self, printer_id: str) -> int:
        return self._queue(printer_id).pending

    def retry_now(self) -> None:
        """Forget every hold: the next round tries each printer's oldest job at once."""
        for queue in self._queues.values():
            queue.held_until = 0.0
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> list[JobOutcome]:
        """One pass over the pending jobs, each printer's oldest first."""
        with self._round:
            now = self.clock()
            by_printer: dict[str, list[PrintJob]] = {}
            for job in self.store.pending():
                by_printer.setdefault(job.printer_id, []).append(job)
            for printer_id, queue in self._queues.items():
                queue.pending = len(by_printer.get(printer_id, []))
            outcomes: list[JobOutcome] = []
            for printer_id, jobs in by_printer.items():
                queue = self._queue(printer_id)
                queue.pending = len(jobs)
                if queue.held_until > now or all(job.next_attempt_at > now for job in jobs):
                    continue
                for job in jobs:
                    outcome = self._print(job, queue, now)
                    outcomes.append(outcome)
                    if not outcome.printed:
                        break
            return outcomes

    def _print(self, job: PrintJob, queue: _Queue, now: float) -> JobOutcome:
        printer = self._printer(job.printer_id)
        try:
            if printer is None:
                raise DeviceError(f"printer {job.printer_id} is not configured: redirect the job")
            data = render(job.document, printer.profile, reprint=job.reprint)
            printer.send(data)
        except Exception as err:  # a render bug must not stop the queue either
            message = err.message if isinstance(err, DeviceError) else f"cannot print: {err!r}"
            next_at = now + self.backoff.delay(job.attempts + 1)
            queue.held_until = next_at
            state = HealthState.DISCONNECTED if isinstance(err, DeviceUnavailable) else HealthState.FAULT
            queue.health.set(state, f"{message} ({queue.pending} job(s) waiting)")
            if not isinstance(err, DeviceUnavailable | PrinterFault):
                log.warning("print job %s failed: %s", job.job_id, message)
            self.store.mark_failed(job.job_id, message, next_at)
            return JobOutcome(job.job_id, job.printer_id, False, message)
        self.store.mark_printed(job.job_id)
        queue.pending = max(0, queue.pending - 1)
        queue.held_until = 0.0
        queue.health.set(HealthState.OK)
        return JobOutcome(job.job_id, job.printer_id, True)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="print-spooler", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a wake() during the round makes the wait below return at once
            try:
                self.run_once()
            except Exception:  # a store error (database locked) must not end the worker
                log.exception("print spooler round failed")
            self._wake.wait(self.poll_s)


__all__ = ["Backoff", "InMemoryJobStore", "JobOutcome", "JobStore", "PrintJob", "PrinterPort",
           "Spooler", "redirect_job", "reprint_job"]
