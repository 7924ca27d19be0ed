"""A cashier's shift on a lane: float, drops, pickups, no-sale opens, close with counted cash.

The shift is a list of facts (what the journal holds); the X report (mid-shift) and the Z
report (at close) are folds over those facts, so they can be recomputed at any time.
Cash movements: a drop (cashier moves excess cash to the safe) and a pickup (a manager takes
cash from the drawer) take cash out; a loan (extra change brought in) puts cash in.

The facts and their codec are in `pos.shift_facts`, the reports in `pos.shift_report`; all
stay importable from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from pos.catalog import MAX_PRICE
from pos.errors import Conflict, InvalidInput, NotAllowed
from pos.money import format_minor
from pos.refund import Refund
from pos.sale import Sale
from pos.sale_events import check_aware
from pos.shift_facts import (
    CashMoved,
    CashMovementKind,
    ClassAmounts,
    DrawerOpenedWithoutSale,
    ReturnRecorded,
    SaleRecorded,
    ShiftClosed,
    ShiftFact,
    ShiftOpened,
    TenderAmount,
    fact_from_dict,
    fact_to_dict,
    opened_fact,
)
from pos.shift_report import ShiftReport, TenderTotals, expected_cash, shift_report

__all__ = [
    "CashMoved",
    "CashMovementKind",
    "ClassAmounts",
    "DrawerOpenedWithoutSale",
    "ReturnRecorded",
    "SaleRecorded",
    "Shift",
    "ShiftClosed",
    "ShiftFact",
    "ShiftOpened",
    "ShiftReport",
    "TenderAmount",
    "TenderTotals",
    "expected_cash",
    "fact_from_dict",
    "fact_to_dict",
    "shift_report",
]

_F = TypeVar(
    "_F", ShiftOpened, CashMoved, DrawerOpenedWithoutSale, SaleRecorded, ReturnRecorded, ShiftClosed
)


class Shift:
    """A shift's rules over its facts; every command returns the new fact for the journal."""

    def __init__(self, facts: Sequence[ShiftFact]) -> None:
        self.opened = opened_fact(facts)
        self.facts: list[ShiftFact] = list(facts)

    @classmethod
    def open(
        cls, *, shift_id: str, lane_id: str, cashier_id: str, float_amount: int, at: datetime
    ) -> Shift:
        """Open a shift with the float counted into the drawer."""
        _check_amount(float_amount, "opening float", allow_zero=True)
        return cls([ShiftOpened(shift_id, lane_id, cashier_id, float_amount, check_aware(at))])

    @property
    def is_open(self) -> bool:
        return not any(isinstance(f, ShiftClosed) for f in self.facts)

    def expected_cash(self) -> int:
        return expected_cash(self.facts)

    def move_cash(
        self,
        kind: CashMovementKind,
        amount: int,
        *,
        operator_id: str,
        at: datetime,
        manager_id: str | None = None,
    ) -> CashMoved:
        """A drop or pickup (cash out; never more than the drawer holds) or a loan (cash in)."""
        _check_amount(amount, kind.value)
        if kind is CashMovementKind.PICKUP and not manager_id:
            raise NotAllowed("a cash pickup needs a manager")
        if kind is not CashMovementKind.LOAN and amount > self.expected_cash():
            raise InvalidInput(
                f"{kind.value} of {format_minor(amount)} is more than the "
                f"{format_minor(self.expected_cash())} the drawer should hold"
            )
        return self._add(CashMoved(kind, amount, operator_id, manager_id, check_aware(at)))

    def no_sale(
        self, *, manager_id: str | None, reason: str, at: datetime
    ) -> DrawerOpenedWithoutSale:
        """Open the drawer without a sale: needs a manager and a reason."""
        if not manager_id:
            raise NotAllowed("opening the drawer without a sale needs a manager")
        if not reason.strip():
            raise InvalidInput("say why the drawer is opened without a sale")
        fact = DrawerOpenedWithoutSale(self.opened.cashier_id, manager_id, reason.strip(), at)
        return self._add(fact)

    def record_sale(self, sale: Sale) -> SaleRecorded:
        return self._add(SaleRecorded.from_sale(sale))

    def record_return(self, refund: Refund) -> ReturnRecorded:
        return self._add(ReturnRecorded.from_refund(refund))

    def close(self, *, counted_cash: int, at: datetime) -> ShiftClosed:
        """Close with the counted cash; the variance is counted minus expected."""
        _check_amount(counted_cash, "counted cash", allow_zero=True)
        expected = self.expected_cash()
        return self._add(
            ShiftClosed(counted_cash, expected, counted_cash - expected, check_aware(at))
        )

    def x_report(self, *, as_of: datetime) -> ShiftReport:
        return shift_report(self.facts, as_of=as_of)

    def z_report(self, *, z_number: int) -> ShiftReport:
        closed = self.facts[-1]
        return shift_report(self.facts, as_of=closed.at, z_number=z_number)

    def _add(self, fact: _F) -> _F:
        if not self.is_open:
            raise Conflict(f"shift {self.opened.shift_id} is closed")
        check_aware(fact.at)
        self.facts.append(fact)
        return fact


def _check_amount(amount: int, what: str, *, allow_zero: bool = False) -> None:
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidInput(
            f"{what} {amount} must be {'zero or more' if allow_zero else 'positive'}"
        )
    if amount > MAX_PRICE:
        raise InvalidInput(
            f"{what} {format_minor(amount)} is above the maximum {format_minor(MAX_PRICE)}"
        )
