"""A shift's facts, as the journal holds them, and their JSON codec.

Cash movements: a drop (cashier moves excess cash to the safe) and a pickup (a manager takes
cash from the drawer) take cash out; a loan (extra change brought in) puts cash in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from pos.canonical import plain
from pos.errors import Conflict, InvalidInput
from pos.refund import Refund
from pos.sale import Sale, SaleState
from pos.tender import TenderKind, net_by_tender


class CashMovementKind(enum.StrEnum):
    DROP = "drop"
    PICKUP = "pickup"
    LOAN = "loan"


@dataclass(frozen=True, slots=True)
class ClassAmounts:
    tax_class: str
    rate_bp: int
    net: int
    tax: int
    gross: int


@dataclass(frozen=True, slots=True)
class TenderAmount:
    kind: TenderKind
    amount: int


@dataclass(frozen=True, slots=True)
class ShiftOpened:
    shift_id: str
    lane_id: str
    cashier_id: str
    float_amount: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CashMoved:
    kind: CashMovementKind
    amount: int
    operator_id: str
    manager_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class DrawerOpenedWithoutSale:
    cashier_id: str
    manager_id: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SaleRecorded:
    """A sale that ended in this shift: completed (with its money) or cancelled."""

    sale_id: str
    completed: bool
    total: int
    discount: int
    cash_rounding: int
    voided_lines: int
    overrides: int
    tax: tuple[ClassAmounts, ...]
    tenders: tuple[TenderAmount, ...]
    at: datetime

    @classmethod
    def from_sale(cls, sale: Sale) -> SaleRecorded:
        if sale.state not in (SaleState.COMPLETED, SaleState.CANCELLED) or sale.closed_at is None:
            raise Conflict(f"sale {sale.sale_id} is still {sale.state.value}")
        voids = sum(line.voided for line in sale.lines)
        overrides = sum(line.override is not None for line in sale.lines)
        if sale.state is SaleState.CANCELLED:
            return cls(sale.sale_id, False, 0, 0, 0, voids, overrides, (), (), sale.closed_at)
        totals, settlement = sale.totals(), sale.settlement()
        nets = net_by_tender(sale.tenders, settlement)
        return cls(
            sale.sale_id,
            True,
            totals.total,
            totals.discount,
            settlement.cash_rounding,
            voids,
            overrides,
            tuple(
                ClassAmounts(c.tax_class, c.rate_bp, c.net, c.tax, c.gross) for c in totals.classes
            ),
            tuple(TenderAmount(t.kind, n) for t, n in zip(sale.tenders, nets, strict=True)),
            sale.closed_at,
        )


@dataclass(frozen=True, slots=True)
class ReturnRecorded:
    return_id: str
    with_receipt: bool
    total: int
    cash_rounding: int
    manager_id: str | None
    tax: tuple[ClassAmounts, ...]
    tenders: tuple[TenderAmount, ...]
    at: datetime

    @classmethod
    def from_refund(cls, refund: Refund) -> ReturnRecorded:
        by_class: dict[str, ClassAmounts] = {}
        for line in refund.lines:
            old = by_class.get(line.tax_class, ClassAmounts(line.tax_class, line.rate_bp, 0, 0, 0))
            by_class[line.tax_class] = ClassAmounts(
                line.tax_class,
                line.rate_bp,
                old.net + line.amount - line.tax,
                old.tax + line.tax,
                old.gross + line.amount,
            )
        return cls(
            refund.return_id,
            refund.receipt_no is not None,
            refund.total,
            refund.cash_rounding,
            refund.manager_id,
            tuple(by_class[k] for k in sorted(by_class)),
            tuple(TenderAmount(t.kind, t.amount) for t in refund.tenders),
            refund.at,
        )


@dataclass(frozen=True, slots=True)
class ShiftClosed:
    counted_cash: int
    expected_cash: int
    variance: int  # counted - expected: negative is a shortage
    at: datetime


ShiftFact = (
    ShiftOpened | CashMoved | DrawerOpenedWithoutSale | SaleRecorded | ReturnRecorded | ShiftClosed
)
_FACT_TYPES: dict[str, type[Any]] = {
    t.__name__: t
    for t in (
        ShiftOpened,
        CashMoved,
        DrawerOpenedWithoutSale,
        SaleRecorded,
        ReturnRecorded,
        ShiftClosed,
    )
}


def fact_to_dict(fact: ShiftFact) -> dict[str, Any]:
    """A plain (JSON's own types) form of a shift fact for the journal (`type` names the fact)."""
    return {"type": type(fact).__name__, **plain(fact)}


def fact_from_dict(data: Mapping[str, Any]) -> ShiftFact:
    """Rebuild a shift fact from `fact_to_dict`'s output."""
    kind = _FACT_TYPES.get(str(data.get("type")))
    if kind is None:
        raise InvalidInput(f"unknown shift fact type {data.get('type')!r}")
    values = {f.name: data[f.name] for f in fields(kind)}
    values["at"] = datetime.fromisoformat(values["at"])
    if "tax" in values:
        values["tax"] = tuple(ClassAmounts(**c) for c in values["tax"])
        values["tenders"] = tuple(
            TenderAmount(TenderKind(t["kind"]), t["amount"]) for t in values["tenders"]
        )
    if kind is CashMoved:
        values["kind"] = CashMovementKind(values["kind"])
    fact: ShiftFact = kind(**values)
    return fact


def opened_fact(facts: Sequence[ShiftFact]) -> ShiftOpened:
    """The ShiftOpened that starts a shift's facts; InvalidInput when they start otherwise."""
    if not facts or not isinstance(facts[0], ShiftOpened):
        raise InvalidInput("a shift's facts must start with ShiftOpened")
    return facts[0]
