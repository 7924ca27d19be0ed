"""Online orders' pick-up slips: printed on a lane's receipt printer (by a manager, or a cashier
logged in at that lane). The body is the order as the order service holds it; reprints go
through `POST /print-jobs/{id}/reprint` like any other job."""

from __future__ import annotations

from typing import Annotated, Any, Self
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from edge.api.deps import CurrentOperator, NodeDep
from edge.api.lane_access import ON_OWN_LANE
from edge.api.routing import JSONRoute
from edge.clock import utc_now
from pos.errors import InvalidInput
from pos.pickup_slip import ORDER_NO, PICKUP_CODE, PickupLine, Substitute, mask_phone
from pos.receipt import Language

router = APIRouter(prefix="/lanes/{lane}/pickup-slips", tags=["pick-up slips"], route_class=JSONRoute,
                   dependencies=[ON_OWN_LANE])
Lane = Annotated[int, Path(ge=1, le=999)]
Money = Annotated[int, Field(ge=0, le=100_000_000, description="minor units")]
Pieces = Annotated[int | None, Field(ge=1, le=9_999)]
Grams = Annotated[int | None, Field(ge=1, le=1_000_000)]
Name = Annotated[str, Field(max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is named, not ignored


class Customer(_Strict):
    name: str = Field(min_length=1, max_length=60)
    phone: str | None = Field(None, max_length=32, description="printed masked: only its last 4 digits")

    @field_validator("phone")
    @classmethod
    def _a_phone_number(cls, phone: str | None) -> str | None:
        if phone is not None:
            try:
                mask_phone(phone)
            except InvalidInput as err:
                raise ValueError(str(err)) from None
        return phone


class SubstituteItem(_Strict):
    sku: str = Field("", max_length=40)
    name_en: Name = ""
    name_zh: Name = ""
    quantity: Pieces = None
    grams: Grams = None

    @model_validator(mode="after")
    def _named_and_counted(self) -> Self:
        _check_line(self.name_en, self.name_zh, self.quantity, self.grams)
        return self


class OrderLine(_Strict):
    sku: str = Field("", max_length=40)
    name_en: Name = ""
    name_zh: Name = ""
    quantity: Pieces = Field(None, description="pieces ordered (or grams, for a weighed item)")
    grams: Grams = None
    picked: int | None = Field(None, ge=0, le=1_000_000, description="pieces or grams picked; absent: not picked yet")
    substitute: SubstituteItem | None = None
    amount: Money = Field(description="what the line costs as handed over (0 when missing)")
    location: str = Field("", max_length=16, description="shelf or bin, for the picker")

    @field_validator("picked")
    @classmethod
    def _no_more_than_ordered(cls, picked: int | None, info: ValidationInfo) -> int | None:
        quantity = info.data.get("quantity")
        if picked is not None and info.data.get("grams") is None and quantity is not None and picked > quantity:
            raise ValueError(f"picked {picked} is more than the {quantity} ordered")
        return picked

    @field_validator("substitute")
    @classmethod
    def _instead_of_the_item(cls, substitute: SubstituteItem | None, info: ValidationInfo) -> SubstituteItem | None:
        if substitute is not None and info.data.get("picked"):
            raise ValueError("a substituted line has picked 0 (or none) of the ordered item")
        return substitute

    @model_validator(mode="after")
    def _named_and_counted(self) -> Self:
        _check_line(self.name_en, self.name_zh, self.quantity, self.grams)
        return self

    def pickup_line(self) -> PickupLine:
        sub = self.substitute
        return PickupLine(
            self.name_en, self.name_zh, self.amount, quantity=self.quantity or 1, grams=self.grams,
            picked=self.picked, sku=self.sku, location=self.location,
            substitute=None if sub is None else Substitute(sub.name_en, sub.name_zh, sub.quantity or 1, sub.grams, sub.sku),
        )


def _check_line(name_en: str, name_zh: str, quantity: int | None, grams: int | None) -> None:
    if not (name_en or name_zh):
        raise ValueError("give name_en or name_zh (or both)")
    if (quantity is None) == (grams is None):
        raise ValueError("give quantity (pieces) or grams (a weighed item), not both or neither")


class PickupOrder(_Strict):
    request_id: UUID = Field(description="client-made id: a retried request prints the slip once")
    order_no: str = Field(pattern=f"^{ORDER_NO.pattern}$", description="1-32 letters, digits, - or _")
    pickup_code: str = Field(pattern=f"^{PICKUP_CODE.pattern}$", description="4-12 capital letters or digits")
    customer: Customer
    promised_at: AwareDatetime = Field(description="when the customer was promised the order (printed store-local)")
    lines: list[OrderLine] = Field(min_length=1, max_length=500)
    subtotal: Money
    discount: Money = 0
    total: Money
    paid: Money = Field(description="already paid online; the slip shows what is left to pay or to refund")
    language: Language | None = Field(None, description="en or zh-CN; the store's language when absent")
    note: str = Field("", max_length=200)

    @field_validator("subtotal")
    @classmethod
    def _sum_of_lines(cls, subtotal: int, info: ValidationInfo) -> int:
        lines: list[OrderLine] | None = info.data.get("lines")
        if lines is not None and subtotal != sum(line.amount for line in lines):
            raise ValueError(f"{subtotal} is not the sum of the lines' amounts {sum(line.amount for line in lines)}")
        return subtotal

    @field_validator("total")
    @classmethod
    def _subtotal_less_discount(cls, total: int, info: ValidationInfo) -> int:
        subtotal, discount = info.data.get("subtotal"), info.data.get("discount")
        if subtotal is not None and discount is not None and total != subtotal - discount:
            raise ValueError(f"{total} is not subtotal {subtotal} less discount {discount}")
        return total


@router.post("", status_code=201)
def print_pickup_slip(lane: Lane, body: PickupOrder, operator: CurrentOperator, node: NodeDep) -> dict[str, Any]:
    """Queue the order's pick-up slip on the lane's receipt printer (409 when it has none); the
    journal row `pickup_slip.printed` says who printed it. Answers the print job."""
    slip = node.print_queue.documents.pickup_slip(
        order_no=body.order_no, pickup_code=body.pickup_code, customer_name=body.customer.name,
        customer_phone=body.customer.phone or "", promised_at=body.promised_at,
        lines=[line.pickup_line() for line in body.lines], subtotal=body.subtotal, discount=body.discount,
        total=body.total, paid=body.paid, lane=lane, staff=operator.id, printed_at=utc_now(), note=body.note,
        language=body.language,
    )
    return node.print_queue.print_pickup_slip(lane, slip, operator_id=operator.id, request_id=str(body.request_id))
