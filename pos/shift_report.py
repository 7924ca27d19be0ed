"""The X report (mid-shift) and the Z report (at close): folds over a shift's facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pos.errors import Conflict
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
    opened_fact,
)
from pos.tender import TenderKind


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
    opened = opened_fact(facts)
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
