"""A lane's shift: open with a float, cash drops/pickups/loans, no-sale, X report, close (Z)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from edge.api.approval import Approval, approving_manager
from edge.api.deps import CurrentOperator, NodeDep
from edge.api.lane_access import ON_OWN_LANE, ShiftCloser
from edge.api.routing import JSONRoute
from edge.shifts import report_dict
from pos.shift import CashMovementKind

router = APIRouter(prefix="/lanes/{lane}/shift", tags=["shifts"], route_class=JSONRoute, dependencies=[ON_OWN_LANE])
Lane = Annotated[int, Path(ge=1, le=999)]


class ShiftOpen(BaseModel):
    shift_id: UUID
    float_amount: int = Field(ge=0, le=100_000_000, description="cash counted into the drawer, minor units")


class CashMove(BaseModel):
    kind: CashMovementKind
    amount: int = Field(gt=0, le=100_000_000)
    approval: Approval | None = None


class NoSale(BaseModel):
    reason: str = Field(min_length=1, max_length=200)
    approval: Approval | None = None


class ShiftClose(BaseModel):
    counted_cash: int = Field(ge=0, le=100_000_000)


def _shift_view(node: NodeDep, lane: int) -> dict[str, Any]:
    row, shift = node.shifts.current(lane)
    return {"shift_id": row.shift_id, "lane": row.lane, "cashier_id": row.cashier_id, "state": row.state,
            "opened_at": row.opened_at.isoformat(), "expected_cash": shift.expected_cash()}


@router.post("", status_code=201)
def open_shift(lane: Lane, body: ShiftOpen, operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    node.shifts.open(str(body.shift_id), lane, operator.id, body.float_amount)
    return _shift_view(node, lane)


@router.get("")
def current_shift(lane: Lane, _operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    return _shift_view(node, lane)


@router.post("/cash")
def move_cash(lane: Lane, body: CashMove, operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    manager_id = approving_manager(node, operator, body.approval)
    node.shifts.move_cash(lane, body.kind, body.amount, operator.id, manager_id)
    return _shift_view(node, lane)


@router.post("/no-sale")
def no_sale(lane: Lane, body: NoSale, operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    manager_id = approving_manager(node, operator, body.approval)
    node.shifts.no_sale(lane, operator.id, manager_id, body.reason)
    return _shift_view(node, lane)


@router.get("/x-report")
def x_report(lane: Lane, _operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    return report_dict(node.shifts.x_report(lane))


@router.post("/x-report/print", status_code=201)
def print_x_report(lane: Lane, operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    """The X report on the lane's receipt printer; the journal records who printed it and when."""
    report = node.shifts.print_x_report(lane, operator.id)
    node.print_queue.wake()
    return {**report_dict(report), "printer": node.print_queue.receipt_printer(lane)}


@router.post("/close")
def close(lane: Lane, body: ShiftClose, _operator: ShiftCloser, node: NodeDep) -> dict[str, Any]:
    return report_dict(node.shifts.close(lane, body.counted_cash))
