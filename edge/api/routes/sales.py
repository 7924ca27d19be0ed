"""The lane's sale: open, add, change, void, override, suspend/resume, cancel, pay, complete."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, Field, model_validator

from edge.api.approval import Approval, approving_manager
from edge.api.deps import CurrentOperator, NodeDep
from edge.api.lane_access import SaleOperator, own_lane
from edge.api.routing import JSONRoute
from edge.api.views import completed_view, sale_json, sale_view
from edge.checkout import TenderRequest
from edge.fastjson import Rendered
from pos.errors import NotAllowed
from pos.sale import Sale
from pos.tender import TenderKind
from pos.weighed import ScaleReading

router = APIRouter(tags=["sales"], route_class=JSONRoute)
SaleId = Annotated[str, Path(min_length=1, max_length=64)]
LineId = Annotated[int, Path(ge=1)]


class SaleOpen(BaseModel):
    sale_id: UUID = Field(description="client-made id: a retried open finds the first sale")
    lane: int = Field(ge=1, le=999)


class ScaleWeight(BaseModel):
    grams: int = Field(ge=-100_000, le=1_000_000)
    stable: bool
    scale_id: str = ""


class ItemAdd(BaseModel):
    code: str | None = Field(default=None, min_length=1, max_length=64, description="barcode, PLU or in-store label")
    sku: str | None = Field(default=None, min_length=1, max_length=40)
    quantity: int = Field(default=1, ge=1, le=999)
    scale: ScaleWeight | None = None
    request_id: UUID | None = Field(default=None, description="client-made id: a retried add adds nothing")

    @model_validator(mode="after")
    def _one_of(self) -> ItemAdd:
        if (self.code is None) == (self.sku is None):
            raise ValueError("give exactly one of code or sku")
        return self


class QuantityChange(BaseModel):
    quantity: int = Field(ge=1, le=999)
    approval: Approval | None = None


class WithApproval(BaseModel):
    approval: Approval | None = None


OptionalApproval = Annotated[WithApproval | None, Body()]


def _approval(body: WithApproval | None) -> Approval | None:
    return None if body is None else body.approval


class PriceOverride(BaseModel):
    unit_price: int = Field(ge=0, le=100_000_000)
    reason: str = Field(min_length=1, max_length=200)
    approval: Approval | None = None


class SaleResume(BaseModel):
    lane: int = Field(ge=1, le=999)


class TenderAdd(BaseModel):
    tender_id: UUID
    kind: TenderKind
    amount: int = Field(gt=0, le=100_000_000, description="minor units; cash: the amount handed over")
    currency: str = Field(min_length=3, max_length=3)
    reference: str = Field(default="", max_length=64, description="card terminal reference (never card data)")
    code: str = Field(default="", max_length=40, description="voucher or gift card code")


class MemberAttach(BaseModel):
    member_id: str = Field(min_length=1, max_length=32, description="the member's card or loyalty id")


class CouponAdd(BaseModel):
    code: str = Field(min_length=1, max_length=40, description="the coupon code as printed (any case)")


class SaleComplete(BaseModel):
    request_id: UUID = Field(description="client-made id: a retried complete never charges twice")


def _manager(node: NodeDep, operator: CurrentOperator, approval: Approval | None, what: str, required: bool) -> str | None:
    manager_id = approving_manager(node, operator, approval)
    if required and manager_id is None:
        raise NotAllowed(f"{what} needs a manager: send approval with the manager's id and PIN")
    return manager_id


@router.post("/sales", status_code=201)
def open_sale(body: SaleOpen, request: Request, operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    own_lane(request, operator, body.lane)
    return sale_view(node.checkout.open_sale(str(body.sale_id), body.lane, operator.id))


@router.get("/sales/suspended")
def suspended(_operator: CurrentOperator, node: NodeDep) -> list[dict[str, Any]]:
    return [sale_view(sale) for sale in node.checkout.suspended()]


@router.get("/sales/{sale_id}")
def get_sale(sale_id: SaleId, _operator: CurrentOperator, node: NodeDep) -> Rendered:
    return sale_json(node.checkout.get(sale_id), keep=False)  # a look: the lane's cart keeps its view


@router.get("/lanes/{lane}/sale")
def lane_sale(lane: Annotated[int, Path(ge=1, le=999)], _operator: CurrentOperator, node: NodeDep) -> dict[str, Any] | None:
    sale = node.checkout.open_on_lane(lane)
    return None if sale is None else sale_view(sale)


@router.post("/sales/{sale_id}/items")
def add_item(sale_id: SaleId, body: ItemAdd, _operator: SaleOperator, node: NodeDep) -> Rendered:
    scale = None if body.scale is None else ScaleReading(body.scale.grams, body.scale.stable, body.scale.scale_id)
    request_id = None if body.request_id is None else str(body.request_id)
    return sale_json(node.checkout.add_item(sale_id, code=body.code, sku=body.sku, quantity=body.quantity, scale=scale, request_id=request_id))


@router.patch("/sales/{sale_id}/lines/{line_id}")
def change_quantity(sale_id: SaleId, line_id: LineId, body: QuantityChange, operator: SaleOperator, node: NodeDep) -> Rendered:
    manager_id = approving_manager(node, operator, body.approval)
    return sale_json(node.checkout.change_quantity(sale_id, line_id, body.quantity, manager_id))


@router.post("/sales/{sale_id}/lines/{line_id}/void")
def void_line(sale_id: SaleId, line_id: LineId, operator: SaleOperator, node: NodeDep, body: OptionalApproval = None) -> Rendered:
    manager_id = approving_manager(node, operator, _approval(body))
    return sale_json(node.checkout.void_line(sale_id, line_id, manager_id))


@router.post("/sales/{sale_id}/lines/{line_id}/price")
def override_price(sale_id: SaleId, line_id: LineId, body: PriceOverride, operator: SaleOperator, node: NodeDep) -> dict[str, Any]:
    manager_id = _manager(node, operator, body.approval, f"a price override on line {line_id}", required=True)
    assert manager_id is not None
    return sale_view(node.checkout.override_price(sale_id, line_id, body.unit_price, reason=body.reason, manager_id=manager_id))


@router.post("/sales/{sale_id}/suspend")
def suspend(sale_id: SaleId, _operator: SaleOperator, node: NodeDep) -> dict[str, Any]:
    return sale_view(node.checkout.suspend(sale_id))


@router.post("/sales/{sale_id}/resume")
def resume(sale_id: SaleId, body: SaleResume, request: Request, operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    own_lane(request, operator, body.lane)  # onto this lane, from whichever lane parked it
    return sale_view(node.checkout.resume(sale_id, body.lane, operator.id))


@router.post("/sales/{sale_id}/cancel")
def cancel(sale_id: SaleId, operator: SaleOperator, node: NodeDep, body: OptionalApproval = None) -> dict[str, Any]:
    manager_id = approving_manager(node, operator, _approval(body))
    return sale_view(node.checkout.cancel(sale_id, manager_id))


def _priced_view(node: NodeDep, sale: Sale) -> dict[str, Any]:
    """The sale, with the presented coupons that gave nothing at its last pricing and why."""
    return {**sale_view(sale), "rejected_coupons": node.promotions.rejected_coupons(sale.sale_id)}


@router.post("/sales/{sale_id}/member")
def attach_member(sale_id: SaleId, body: MemberAttach, _operator: SaleOperator, node: NodeDep) -> dict[str, Any]:
    return _priced_view(node, node.checkout.attach_member(sale_id, body.member_id))


@router.delete("/sales/{sale_id}/member")
def detach_member(sale_id: SaleId, _operator: SaleOperator, node: NodeDep) -> dict[str, Any]:
    return _priced_view(node, node.checkout.detach_member(sale_id))


@router.post("/sales/{sale_id}/coupons")
def add_coupon(sale_id: SaleId, body: CouponAdd, _operator: SaleOperator, node: NodeDep) -> dict[str, Any]:
    return _priced_view(node, node.checkout.add_coupon(sale_id, body.code))


@router.delete("/sales/{sale_id}/coupons/{code}")
def remove_coupon(sale_id: SaleId, code: Annotated[str, Path(min_length=1, max_length=40)], _operator: SaleOperator, node: NodeDep) -> dict[str, Any]:
    return _priced_view(node, node.checkout.remove_coupon(sale_id, code))


@router.post("/sales/{sale_id}/tenders")
def add_tender(sale_id: SaleId, body: TenderAdd, _operator: SaleOperator, node: NodeDep) -> Rendered:
    request = TenderRequest(str(body.tender_id), body.kind, body.amount, body.currency, body.reference, body.code)
    return sale_json(node.checkout.add_tender(sale_id, request))


@router.post("/sales/{sale_id}/tenders/{tender_id}/void")
def void_tender(sale_id: SaleId, tender_id: str, operator: SaleOperator, node: NodeDep, body: OptionalApproval = None) -> dict[str, Any]:
    manager_id = approving_manager(node, operator, _approval(body))
    return sale_view(node.checkout.void_tender(sale_id, tender_id, manager_id))


@router.post("/sales/{sale_id}/complete")
def complete(sale_id: SaleId, body: SaleComplete, _operator: SaleOperator, node: NodeDep) -> dict[str, Any]:
    return completed_view(node.completion.complete(sale_id, str(body.request_id)))


@router.get("/receipts/{receipt_no}")
def receipt(receipt_no: str, _operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    return completed_view(node.completion.receipt(receipt_no))
