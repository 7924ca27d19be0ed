"""A cashier's shift on a lane: float, drops, pickups, no-sale opens, close with counted cash.

The shift is a list of facts (what the journal holds); the X report (mid-shift) and the Z
report (at close) are folds over those facts, so they can be recomputed at any time.
Cash movements: a drop (cashier moves excess cash to the safe) and a pickup (a manager takes
cash from the drawer) take cash out; a loan (extra change brought in) puts cash in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from pos.catalog import MAX_PRICE
from pos.errors import Conflict, InvalidInput, NotAllowed
from pos.money import format_minor
from pos.returns import Refund
from pos.sale import Sale, SaleState, check_aware
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


_F = TypeVar(
    "_F", ShiftOpened, CashMoved, DrawerOpenedWithoutSale, SaleRecorded, ReturnRecorded, ShiftClosed
)
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
    """A JSON-able form of a shift fact for the journal (`type` names the fact)."""
    data = asdict(fact)
    data["at"] = fact.at.isoformat()
    return {"type": type(fact).__name__, **data}


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


@dataclass(frozen=True, slots=True)
class TenderTotals:
    kind: TenderKind
    sales: int
    refunds: int
    net: int


@dataclass(frozen=True, slots=True)
class ShiftReport:
    """X report (mid-shift, `z_number` None) or Z report (closed shift, numbered by the node)."""

    shift_id: str
    lane_id: str
    cashier_id: str
    opened_at: datetime
    as_of: datetime
    z_number: int | None
    opening_float: int
    sales_count: int
    sales_total: int
    discount_total: int
    returns_count: int
    returns_total: int
    net_sales: int
    cash_rounding: int
    tenders: tuple[TenderTotals, ...]
    tax: tuple[ClassAmounts, ...]  # sales less returns, per class
    voided_lines: int
    overrides: int
    cancelled_sales: int
    no_sales: int
    drops: int
    pickups: int
    loans: int
    expected_cash: int
    counted_cash: int | None
    variance: int | None


def _opened(facts: Sequence[ShiftFact]) -> ShiftOpened:
    if not facts or not isinstance(facts[0], ShiftOpened):
        raise InvalidInput("a shift's facts must start with ShiftOpened")
    return facts[0]


def _cash_flow(fact: ShiftFact) -> int:
    if isinstance(fact, ShiftOpened):
        return fact.float_amount
    if isinstance(fact, CashMoved):
        return fact.amount if fact.kind is CashMovementKind.LOAN else -fact.amount
    sign = 1 if isinstance(fact, SaleRecorded) else -1
    if isinstance(fact, SaleRecorded | ReturnRecorded):
        return sign * sum(t.amount for t in fact.tenders if t.kind is TenderKind.CASH)
    return 0


def expected_cash(facts: Iterable[ShiftFact]) -> int:
    """Cash that should be in the drawer: float + loans + cash taken - refunds - drops - pickups."""
    return sum(_cash_flow(fact) for fact in facts)


def shift_report(
    facts: Sequence[ShiftFact], *, as_of: datetime, z_number: int | None = None
) -> ShiftReport:
    """Fold a shift's facts into an X report, or a Z report when the shift is closed."""
    opened = _opened(facts)
    closed = next((f for f in facts if isinstance(f, ShiftClosed)), None)
    if z_number is not None and closed is None:
        raise Conflict(f"shift {opened.shift_id} is open: a Z report needs it closed")
    sales = [f for f in facts if isinstance(f, SaleRecorded) and f.completed]
    cancelled = [f for f in facts if isinstance(f, SaleRecorded) and not f.completed]
    returns = [f for f in facts if isinstance(f, ReturnRecorded)]
    moves = [f for f in facts if isinstance(f, CashMoved)]
    money: list[SaleRecorded | ReturnRecorded] = [*sales, *returns]
    tender_sales: dict[TenderKind, list[int]] = {}
    for fact in money:
        for t in fact.tenders:
            pair = tender_sales.setdefault(t.kind, [0, 0])
            pair[0 if isinstance(fact, SaleRecorded) else 1] += t.amount
    tax: dict[str, list[int]] = {}
    rates: dict[str, int] = {}
    for fact in money:
        sign = 1 if isinstance(fact, SaleRecorded) else -1
        for c in fact.tax:
            acc = tax.setdefault(c.tax_class, [0, 0, 0])
            rates[c.tax_class] = c.rate_bp
            acc[0] += sign * c.net
            acc[1] += sign * c.tax
            acc[2] += sign * c.gross
    moved = {k: sum(m.amount for m in moves if m.kind is k) for k in CashMovementKind}
    sales_total, returns_total = sum(s.total for s in sales), sum(r.total for r in returns)
    return ShiftReport(
        shift_id=opened.shift_id,
        lane_id=opened.lane_id,
        cashier_id=opened.cashier_id,
        opened_at=opened.at,
        as_of=check_aware(as_of),
        z_number=z_number,
        opening_float=opened.float_amount,
        sales_count=len(sales),
        sales_total=sales_total,
        discount_total=sum(s.discount for s in sales),
        returns_count=len(returns),
        returns_total=returns_total,
        net_sales=sales_total - returns_total,
        cash_rounding=sum(s.cash_rounding for s in sales) - sum(r.cash_rounding for r in returns),
        tenders=tuple(
            TenderTotals(k, v[0], v[1], v[0] - v[1]) for k, v in sorted(tender_sales.items())
        ),
        tax=tuple(ClassAmounts(k, rates[k], *tax[k]) for k in sorted(tax)),
        voided_lines=sum(s.voided_lines for s in [*sales, *cancelled]),
        overrides=sum(s.overrides for s in sales),
        cancelled_sales=len(cancelled),
        no_sales=sum(isinstance(f, DrawerOpenedWithoutSale) for f in facts),
        drops=moved[CashMovementKind.DROP],
        pickups=moved[CashMovementKind.PICKUP],
        loans=moved[CashMovementKind.LOAN],
        expected_cash=expected_cash(facts),
        counted_cash=closed.counted_cash if closed else None,
        variance=closed.variance if closed else None,
    )


class Shift:
    """A shift's rules over its facts; every command returns the new fact for the journal."""

    def __init__(self, facts: Sequence[ShiftFact]) -> None:
        self.opened = _opened(facts)
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
