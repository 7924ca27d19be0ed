"""The print queue on the ledger: a print job is a `print_job` row first and printer bytes second.

A receipt's job is written in the sale's own completing transaction (`print_hook`), a return
slip's in the return's (`return_slip_hook`), a Z report's in the closing shift's and an X
report's and an online order's pick-up slip's with the journal row saying who printed it
(`report_hook`, `print_pickup_slip`): a sale never waits for paper, and no crash between a fact
and its job can lose the paper. The spooler (`devices.spooler`) sends due
jobs oldest first per printer and retries failures with backoff. States of a row:

  pending   waiting for its printer (or for its next attempt after a failure)
  sending   its bytes are on the way; marked before sending, so a node that stops here
  unsure    ... finds it flagged at the next start and does not print it again by itself
  printed   done; printed once. Only an asked-for reprint (a new row, `reprint_of`) prints again
  failed    the document could not be built; nothing was sent
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from devices.health import DeviceHealth, HealthListener
from edge.clock import utc_now
from edge.completion import Completed
from edge.ledger import Ledger, UnitOfWork
from edge.print_documents import DocumentBuilder
from edge.requests import Replayed, claim_request
from edge.sale_tables import PrintJobRow, SaleRow, row_record
from edge.settings import Settings
from pos.errors import Conflict, InvalidInput, NotFound
from pos.pickup_slip import PickupSlip
from pos.receipt import Document, document_from_dict, document_to_dict
from pos.refund import Refund
from pos.sale import Sale
from pos.shift import ShiftFact
from pos.shift_report import ShiftReport

if TYPE_CHECKING:  # the spooler renders with python-escpos: loaded when printing starts
    from devices.spooler import PrinterPort, PrintJob, Spooler

log = logging.getLogger(__name__)
RECEIPT, COPY, RETURN_SLIP = "receipt", "receipt.copy", "return_slip"
X_REPORT, Z_REPORT, PICKUP_SLIP = "x_report", "z_report", "pickup_slip"
INTERRUPTED = "the node stopped while this job was being sent: look at the paper, reprint it if it is missing"


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def job_view(row: PrintJobRow) -> dict[str, Any]:
    """A job as the API shows it."""
    return {
        "id": row.id, "lane": row.lane, "printer": row.printer, "kind": row.kind, "ref": row.ref,
        "state": row.state, "attempts": row.attempts, "reprint": row.reprint_of is not None or row.kind == COPY,
        "reprint_of": row.reprint_of, "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at.isoformat(), "created_at": row.created_at.isoformat(),
        "printed_at": row.printed_at.isoformat() if row.printed_at else None,
    }


class LedgerJobStore:
    """`devices.spooler.JobStore` on the ledger's `print_job` table."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def pending(self) -> list[PrintJob]:
        from devices.spooler import PrintJob

        with self._ledger.read() as session:
            rows = session.exec(select(PrintJobRow).where(PrintJobRow.state == "pending")
                                .order_by(col(PrintJobRow.created_at), col(PrintJobRow.id))).all()
        jobs = []
        for row in rows:
            try:
                document = document_from_dict(json.loads(row.document))
            except (ValueError, InvalidInput) as err:  # a row no printer can ever print
                self._set(row.id, state="failed", last_error=f"the stored document is unreadable: {err}")
                continue
            jobs.append(PrintJob(
                str(row.id), row.printer, document, reprint=row.reprint_of is not None or row.kind == COPY,
                attempts=row.attempts, next_attempt_at=row.next_attempt_at.timestamp(),
                last_error=row.last_error, created_at=row.created_at.timestamp(),
            ))
        return jobs

    def claim(self, job_id: str, printer_id: str) -> bool:
        """Mark a job `sending` if it is still pending on that printer (not redirected meanwhile).
        A write, synced before it returns: that sync covers the sale the job was read with
        (`pending` reads it perhaps before it is durable), so nothing prints a sale a power
        cut could take back. Keep it a unit of work."""
        with self._ledger.unit_of_work() as uow:
            result = uow.session.exec(
                update(PrintJobRow)
                .where(col(PrintJobRow.id) == int(job_id), col(PrintJobRow.state) == "pending",
                       col(PrintJobRow.printer) == printer_id)
                .values(state="sending")
            )
            uow.commit()
        return bool(result.rowcount)

    def mark_printed(self, job_id: str) -> None:
        self._set(int(job_id), state="printed", printed_at=utc_now(), last_error="")

    def mark_failed(self, job_id: str, error: str, next_attempt_at: float) -> None:
        with self._ledger.unit_of_work() as uow:
            row = uow.session.get(PrintJobRow, int(job_id))
            if row is not None:
                row.state, row.attempts, row.last_error = "pending", row.attempts + 1, error[:500]
                row.next_attempt_at = _at(next_attempt_at)
                uow.session.add(row)
                uow.commit()

    def flag_interrupted(self) -> int:
        """Jobs a stopped node left `sending` become `unsure`: never printed twice by themselves."""
        with self._ledger.unit_of_work() as uow:
            result = uow.session.exec(
                update(PrintJobRow).where(col(PrintJobRow.state) == "sending")
                .values(state="unsure", last_error=INTERRUPTED)
            )
            uow.commit()
        return int(result.rowcount or 0)

    def _set(self, job_id: int | None, **values: Any) -> None:
        with self._ledger.unit_of_work() as uow:
            uow.session.exec(update(PrintJobRow).where(col(PrintJobRow.id) == job_id).values(**values))
            uow.commit()


def _ledger_spooler(store: LedgerJobStore, printers: Callable[[str], PrinterPort | None], *,
                    backoff_first_s: float, backoff_max_s: float, poll_s: float,
                    on_health: HealthListener) -> Spooler:
    """The spooler with the `sending` mark between the stored row and the printer's bytes."""
    from devices.spooler import Backoff, JobOutcome, Spooler, _Queue

    class LedgerSpooler(Spooler):
        def _print(self, job: PrintJob, queue: _Queue, now: float) -> JobOutcome:
            if not store.claim(job.job_id, job.printer_id):
                return JobOutcome(job.job_id, job.printer_id, False, "redirected or reprinted meanwhile")
            return super()._print(job, queue, now)

    return LedgerSpooler(store, printers, backoff=Backoff(backoff_first_s, 2.0, backoff_max_s), poll_s=poll_s,
                         on_health=on_health)


class PrintQueue:
    """The store's print jobs: written with the facts they print, sent by the spooler."""

    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self._ledger = ledger
        self._settings = settings
        self.store = LedgerJobStore(ledger)
        self.documents = DocumentBuilder(settings)
        self._receipt_printer = {lane.id: lane.receipt_printer_id for lane in settings.lanes}
        self.printer_lanes: dict[str, list[int]] = {}
        for lane in settings.lanes:
            for printer in lane.printers:
                self.printer_lanes.setdefault(printer.id, []).append(lane.id)
        self.spooler: Spooler | None = None

    # -- writing jobs ----------------------------------------------------------------------

    def receipt_printer(self, lane: int) -> str | None:
        return self._receipt_printer.get(lane)

    def print_hook(self, uow: UnitOfWork, sale: Sale, record: dict[str, Any]) -> None:
        """`Completion`'s hook: the receipt's job, in the completing transaction."""
        lane = int(sale.lane_id)
        printer = self.receipt_printer(lane)
        if printer is not None:
            self._add(uow.session, lane, printer, RECEIPT, str(record["receipt_no"]), lambda: self.documents.receipt(record))

    def after_completion(self, _done: Completed) -> None:
        self.wake()

    def return_slip_hook(self, uow: UnitOfWork, refund: Refund, lane: int) -> None:
        """`Returns`' hook: the return slip's job, in the return's transaction."""
        printer = self.receipt_printer(lane)
        if printer is not None:
            self._add(uow.session, lane, printer, RETURN_SLIP, refund.return_id,
                      lambda: self.documents.return_slip(refund, lane))

    def report_hook(self, uow: UnitOfWork, lane: int, report: ShiftReport, facts: Sequence[ShiftFact]) -> None:
        """`Shifts`' hook: a closing shift's Z report, or an asked-for X report, in the shift's transaction.
        An X report is printed only when asked, so a lane without a printer refuses it."""
        printer = self.receipt_printer(lane)
        kind = X_REPORT if report.z_number is None else Z_REPORT
        if printer is None and kind == X_REPORT:
            raise Conflict(f"lane {lane} has no receipt printer to print the X report on")
        if printer is not None:
            self._add(uow.session, lane, printer, kind, report.shift_id, lambda: self.documents.shift_report(report, facts))

    def print_pickup_slip(self, lane: int, slip: PickupSlip, *, operator_id: str, request_id: str) -> dict[str, Any]:
        """Queue an order's pick-up slip on the lane's receipt printer with the journal row of who
        printed it, in one transaction; a repeated request id answers the first job, printing nothing."""
        printer = self.receipt_printer(lane)
        if printer is None:
            raise Conflict(f"lane {lane} has no receipt printer to print the pick-up slip on")
        try:
            with self._ledger.unit_of_work() as uow:
                claim_request(uow.db, request_id, "pickup_slip.print", slip.order_no)
                row = self._add(uow.session, lane, printer, PICKUP_SLIP, slip.order_no, lambda: slip)
                uow.session.flush()  # the job's id, for the journal row
                uow.journal("pickup_slip.printed", {
                    "order_no": slip.order_no, "lane": lane, "operator_id": operator_id, "printer": printer,
                    "print_job_id": row.id, "request_id": request_id,
                })
                uow.commit()
        except Replayed:
            return self._pickup_slip_job(request_id)
        self.wake()
        return job_view(row)

    def _pickup_slip_job(self, request_id: str) -> dict[str, Any]:
        """The job a pick-up slip request made (found through its journal row)."""
        with self._ledger.read() as session:
            job_id = session.connection().exec_driver_sql(
                "SELECT json_extract(payload, '$.data.print_job_id') FROM journal WHERE kind = 'pickup_slip.printed'"
                " AND json_extract(payload, '$.data.request_id') = ? ORDER BY seq LIMIT 1", (request_id,),
            ).scalar()
            row = None if job_id is None else session.get(PrintJobRow, int(job_id))
        if row is None:
            raise NotFound(f"request {request_id} printed no pick-up slip")
        return job_view(row)

    @staticmethod
    def _add(session: Session, lane: int, printer: str, kind: str, ref: str, build: Callable[[], Document],
             reprint_of: int | None = None) -> PrintJobRow:
        try:
            body, state, error = json.dumps(document_to_dict(build()), ensure_ascii=False), "pending", ""
        except Exception as err:  # a document that cannot be laid out must never stop the sale
            log.exception("%s %s: the document could not be built", kind, ref)
            body, state, error = "{}", "failed", f"the document could not be built: {err}"
        now = utc_now()
        row = PrintJobRow(lane=lane, printer=printer, kind=kind, ref=ref[:64], document=body, state=state,
                          reprint_of=reprint_of, last_error=error, next_attempt_at=now, created_at=now)
        session.add(row)
        return row

    # -- reprint, redirect, list -------------------------------------------------------------

    def _known_printer(self, printer: str) -> str:
        if printer not in self.printer_lanes:
            known = ", ".join(sorted(self.printer_lanes)) or "none configured"
            raise NotFound(f"no printer {printer!r} in the store config (known: {known})")
        return printer

    def reprint(self, job_id: int, printer: str | None = None) -> dict[str, Any]:
        """Print a job's document again, marked REPRINT (optionally on another printer)."""
        with self._ledger.unit_of_work() as uow:
            original = uow.session.get(PrintJobRow, job_id)
            if original is None:
                raise NotFound(f"no print job {job_id}")
            if original.state == "failed":
                raise Conflict(f"print job {job_id} has no printable document: {original.last_error}")
            target = self._known_printer(printer) if printer else original.printer
            document = document_from_dict(json.loads(original.document))
            first = original.reprint_of or original.id
            kind = RECEIPT if original.kind == COPY else original.kind
            row = self._add(uow.session, original.lane, target, kind, original.ref, lambda: document, reprint_of=first)
            uow.commit()
        self.wake()
        return job_view(row)

    def redirect(self, job_id: int, printer: str) -> dict[str, Any]:
        """Send a job that has not printed to another printer (its jam or outage holds it)."""
        target = self._known_printer(printer)
        with self._ledger.unit_of_work() as uow:
            row = uow.session.get(PrintJobRow, job_id)
            if row is None:
                raise NotFound(f"no print job {job_id}")
            if row.state in ("printed", "unsure"):
                raise Conflict(f"print job {job_id} is {row.state}: reprint it on {printer} instead")
            if row.state != "pending":
                raise Conflict(f"print job {job_id} is {row.state}: it cannot be redirected now")
            row.printer, row.next_attempt_at = target, utc_now()
            uow.session.add(row)
            uow.commit()
        if self.spooler is not None:
            self.spooler.retry_now()
        return job_view(row)

    def reprint_receipt(self, receipt_no: str, printer: str | None = None) -> dict[str, Any]:
        """A copy of a sale's receipt, marked REPRINT, on its lane's (or the named) printer."""
        with self._ledger.read() as session:
            first = session.exec(select(PrintJobRow).where(PrintJobRow.kind == RECEIPT, PrintJobRow.ref == receipt_no)
                                 .order_by(col(PrintJobRow.id))).first()
            again = first is not None and first.state != "failed" and first.id is not None
            sale = None if again else session.exec(select(SaleRow).where(SaleRow.receipt_no == receipt_no)).first()
            record = None if sale is None else row_record(session, sale)
        if again:
            assert first is not None and first.id is not None
            return self.reprint(first.id, printer)
        if sale is None or record is None:
            raise NotFound(f"no receipt {receipt_no}")
        target = self._known_printer(printer) if printer else self.receipt_printer(sale.lane)
        if target is None:
            raise Conflict(f"lane {sale.lane} has no receipt printer: name one to print the copy on")
        with self._ledger.unit_of_work() as uow:
            row = self._add(uow.session, sale.lane, target, COPY, receipt_no, lambda: self.documents.receipt(record))
            uow.commit()
        self.wake()
        return job_view(row)

    def jobs(self, lane: int, limit: int = 50) -> list[dict[str, Any]]:
        with self._ledger.read() as session:
            rows = session.exec(select(PrintJobRow).where(PrintJobRow.lane == lane)
                                .order_by(col(PrintJobRow.id).desc()).limit(limit)).all()
        return [job_view(row) for row in rows]

    # -- the spooler -------------------------------------------------------------------------

    def start(self, printers: Callable[[str], PrinterPort | None], on_health: HealthListener | None = None) -> None:
        """Flag jobs a stopped node left half-sent, then print pending jobs in the background."""
        if self.spooler is not None:
            return
        flagged = self.store.flag_interrupted()
        if flagged:
            log.warning("%d print job(s) were being sent when the node stopped: flagged unsure, not reprinted", flagged)
        devices = self._settings.devices
        ready = False

        def queue_health(health: DeviceHealth) -> None:
            if ready and on_health is not None:
                on_health(health)

        spooler = _ledger_spooler(
            self.store, printers, backoff_first_s=devices.print_retry_first_s,
            backoff_max_s=devices.print_retry_max_s, poll_s=devices.print_poll_s, on_health=queue_health,
        )
        for printer in self.printer_lanes:  # each queue exists before anyone asks for its health
            spooler.health(printer)
        ready = True
        self.spooler = spooler
        spooler.start()

    def health(self, printer_id: str) -> DeviceHealth | None:
        return None if self.spooler is None else self.spooler.health(printer_id)

    def pending_count(self, printer_id: str) -> int:
        with self._ledger.read() as session:
            rows = session.exec(select(PrintJobRow.id).where(PrintJobRow.printer == printer_id,
                                                             col(PrintJobRow.state).in_(("pending", "sending")))).all()
        return len(rows)

    def wake(self) -> None:
        if self.spooler is not None:
            self.spooler.wake()

    def stop(self) -> None:
        spooler, self.spooler = self.spooler, None
        if spooler is not None:
            spooler.stop()
