"""Shifts: a lane's drawer from float to Z report. Every fact is a journal row; Z numbers are gap-free."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from sqlmodel import Session, col, func, select

from edge import fastjson
from edge.checkout import open_shift_on
from edge.clock import utc_now
from edge.journal import jsonable
from edge.ledger import Ledger, UnitOfWork
from edge.requests import prune_add_items
from edge.sale_tables import OpenSaleRow, ShiftRow
from pos.errors import Conflict, NotFound
from pos.shift import CashMovementKind, Shift, ShiftFact, ShiftReport, fact_from_dict, fact_to_dict

ReportPrintHook = Callable[[UnitOfWork, int, ShiftReport, Sequence[ShiftFact]], None]  # uow, lane, report, facts


def report_dict(report: ShiftReport) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(asdict(report))
    return result


def load_shift(session: Session, row: ShiftRow) -> Shift:
    bodies = session.connection().exec_driver_sql(
        "SELECT body FROM shift_fact WHERE shift_id = ? ORDER BY id", (row.shift_id,)
    )
    return Shift([fact_from_dict(json.loads(body)) for (body,) in bodies])


def save_fact(uow: UnitOfWork, row: ShiftRow, fact: ShiftFact, kind: str, **extra: Any) -> int:
    """The shift row (when new or changed) and its new fact; returns the journal seq."""
    uow.session.add(row)
    return append_fact(uow, row.shift_id, row.lane, fact, kind, **extra)


def append_fact(uow: UnitOfWork, shift_id: str, lane: int, fact: ShiftFact, kind: str, **extra: Any) -> int:
    """Append a shift's new fact and journal it; returns the journal seq."""
    data = fact_to_dict(fact)
    _insert_fact(uow, shift_id, data)
    return uow.journal(kind, {"shift_id": shift_id, "lane": lane, **data, **extra}).seq


def record_fact(uow: UnitOfWork, shift_id: str, fact: ShiftFact) -> None:
    """Append a shift's new fact that another journal row of the same transaction already
    carries: a sale's (`sale.completed`) or a return's (`return.completed`), each naming its
    shift. The fact is the shift's state, derived from that row, as stock levels are from their
    movements; the journal holds the business fact once."""
    _insert_fact(uow, shift_id, fact_to_dict(fact))


def _insert_fact(uow: UnitOfWork, shift_id: str, data: dict[str, Any]) -> None:
    """A fact is one row, so a long shift costs a sale no more than a short one."""
    uow.db.execute("INSERT INTO shift_fact (shift_id, body) VALUES (?, ?)", (shift_id, fastjson.dumps_text(data)))


class Shifts:
    def __init__(self, ledger: Ledger, print_hook: ReportPrintHook | None = None) -> None:
        self._ledger = ledger
        self.print_hook = print_hook  # queues a report's print job inside the transaction that makes it

    def current(self, lane: int) -> tuple[ShiftRow, Shift]:
        with self._ledger.read() as session:
            row = open_shift_on(session, lane)
            return row, load_shift(session, row)

    def open(self, shift_id: str, lane: int, cashier_id: str, float_amount: int) -> ShiftRow:
        """Open a lane's shift with its float; a retried request with the same id finds the first."""
        with self._ledger.unit_of_work() as uow:
            existing = uow.session.get(ShiftRow, shift_id)
            if existing is not None:
                if existing.lane != lane:
                    raise Conflict(f"shift {shift_id} belongs to lane {existing.lane}")
                return existing
            busy = uow.session.exec(select(ShiftRow).where(ShiftRow.lane == lane, ShiftRow.state == "open")).first()
            if busy is not None:
                raise Conflict(f"lane {lane} already has shift {busy.shift_id} open (cashier {busy.cashier_id})")
            now = utc_now()
            shift = Shift.open(shift_id=shift_id, lane_id=str(lane), cashier_id=cashier_id, float_amount=float_amount, at=now)
            row = ShiftRow(shift_id=shift_id, lane=lane, cashier_id=cashier_id, state="open", opened_at=now)
            save_fact(uow, row, shift.facts[0], "shift.opened")
            uow.commit()
        return row

    def move_cash(self, lane: int, kind: CashMovementKind, amount: int, operator_id: str, manager_id: str | None) -> Shift:
        def move(uow: UnitOfWork, row: ShiftRow, shift: Shift) -> None:
            fact = shift.move_cash(kind, amount, operator_id=operator_id, at=utc_now(), manager_id=manager_id)
            save_fact(uow, row, fact, "shift.cash_moved")

        return self._change(lane, move)

    def no_sale(self, lane: int, operator_id: str, manager_id: str | None, reason: str) -> Shift:
        """Open the drawer without a sale (manager-approved, journaled with both ids)."""
        def no_sale(uow: UnitOfWork, row: ShiftRow, shift: Shift) -> None:
            fact = shift.no_sale(manager_id=manager_id, reason=reason, at=utc_now())
            save_fact(uow, row, fact, "shift.no_sale", operator_id=operator_id)

        return self._change(lane, no_sale)

    def x_report(self, lane: int) -> ShiftReport:
        _, shift = self.current(lane)
        return shift.x_report(as_of=utc_now())

    def print_x_report(self, lane: int, operator_id: str) -> ShiftReport:
        """The shift so far on paper: its print job and the journal row of who printed it, together."""
        if self.print_hook is None:
            raise Conflict("this node prints nothing: no print queue is configured")
        with self._ledger.unit_of_work() as uow:
            row = open_shift_on(uow.session, lane)
            shift = load_shift(uow.session, row)
            report = shift.x_report(as_of=utc_now())
            uow.journal("shift.x_report_printed", jsonable({
                "shift_id": row.shift_id, "lane": lane, "operator_id": operator_id, "at": report.as_of,
                "x_report": report_dict(report),
            }))
            self.print_hook(uow, lane, report, shift.facts)
            uow.commit()
        return report

    def close(self, lane: int, counted_cash: int) -> ShiftReport:
        """Close with counted cash: the Z report, numbered gap-free across the store."""
        with self._ledger.unit_of_work() as uow:
            row = open_shift_on(uow.session, lane)
            carts = uow.session.exec(select(OpenSaleRow).where(OpenSaleRow.lane == lane, OpenSaleRow.state == "open")).first()
            if carts is not None:
                raise Conflict(f"lane {lane} has an open sale {carts.sale_id}: finish, suspend or cancel it first")
            shift = load_shift(uow.session, row)
            fact = shift.close(counted_cash=counted_cash, at=utc_now())
            z_number = self._next_z(uow.session)
            report = shift.z_report(z_number=z_number)
            row.state, row.closed_at, row.z_number = "closed", fact.at, z_number
            save_fact(uow, row, fact, "shift.closed", z_report=report_dict(report))
            if self.print_hook is not None:
                self.print_hook(uow, lane, report, shift.facts)
            prune_add_items(uow.session.connection(), fact.at)
            uow.commit()
        return report

    @staticmethod
    def _next_z(session: Session) -> int:
        last = session.exec(select(func.max(col(ShiftRow.z_number)))).one()
        return int(last or 0) + 1

    def _change(self, lane: int, command: Any) -> Shift:
        with self._ledger.unit_of_work() as uow:
            row = open_shift_on(uow.session, lane)
            shift = load_shift(uow.session, row)
            command(uow, row, shift)
            uow.commit()
        return shift

    def get(self, shift_id: str) -> tuple[ShiftRow, Shift]:
        with self._ledger.read() as session:
            row = session.get(ShiftRow, shift_id)
            if row is None:
                raise NotFound(f"no shift {shift_id}")
            return row, load_shift(session, row)
