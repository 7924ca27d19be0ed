"""Returns at a lane: by receipt (scan its QR or type its number) or without one (manager)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator

from edge.api.approval import Approval, approving_manager
from edge.api.deps import CurrentOperator, NodeDep
from edge.api.lane_access import own_lane
from edge.api.routing import JSONRoute
from edge.api.views import refund_view, sale_view
from pos.returns import Disposition, ReturnItem

router = APIRouter(prefix="/returns", tags=["returns"], route_class=JSONRoute)


class ReturnLine(BaseModel):
    line_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=1_000_000, description="pieces, or grams for weighed lines")
    disposition: Disposition = Disposition.RESTOCK


class ReturnCreate(BaseModel):
    return_id: UUID = Field(description="client-made id: a retried return never refunds twice")
    lane: int = Field(ge=1, le=999)
    receipt: str | None = Field(default=None, max_length=80, description="receipt number or its QR text")
    lines: list[ReturnLine] = Field(default_factory=list)
    sku: str | None = Field(default=None, max_length=40, description="without a receipt: the item")
    quantity: int | None = Field(default=None, ge=1, le=1_000_000)
    disposition: Disposition = Disposition.RESTOCK
    approval: Approval | None = None

    @model_validator(mode="after")
    def _shape(self) -> ReturnCreate:
        if self.receipt is not None and not self.lines:
            raise ValueError("a return with a receipt lists the lines to return")
        if self.receipt is None and (self.sku is None or self.quantity is None):
            raise ValueError("give receipt and lines, or (without a receipt) sku and quantity")
        return self


@router.get("/receipts/{receipt}")
def returnable(receipt: str, _operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    """A receipt's lines with what has been returned already."""
    from edge.refunds import receipt_number_from_scan

    sale, refunds = node.returns.returned(receipt_number_from_scan(receipt))
    return {"sale": sale_view(sale), "returns": [refund_view(r, 0, False) for r in refunds]}


@router.post("", status_code=201)
def create_return(body: ReturnCreate, request: Request, operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    own_lane(request, operator, body.lane)
    manager_id = approving_manager(node, operator, body.approval)
    if body.receipt is not None:
        items = [ReturnItem(line.line_id, line.quantity, line.disposition) for line in body.lines]
        result = node.returns.with_receipt(
            str(body.return_id), body.receipt, items, lane=body.lane, cashier_id=operator.id, manager_id=manager_id
        )
    else:
        result = node.returns.without_receipt(
            str(body.return_id), body.sku or "", body.quantity or 0, lane=body.lane, cashier_id=operator.id,
            manager_id=manager_id, disposition=body.disposition,
        )
    return refund_view(result.refund, result.journal_seq, result.replayed)
