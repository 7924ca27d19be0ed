from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.canonical import canonical_json
from pos.catalog import ItemRecord, Unit
from pos.errors import Conflict, InvalidInput, NotAllowed
from pos.returns import ReturnItem, receipt_of, return_with_receipt
from pos.sale import Sale
from pos.shift import (
    CashMovementKind,
    ClassAmounts,
    SaleRecorded,
    Shift,
    TenderTotals,
    fact_from_dict,
    fact_to_dict,
    shift_report,
)
from pos.tax import StorePricing
from pos.tender import TenderKind, card, cash

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
PRICING = StorePricing({"VAT13": 1300, "VAT9": 900})
DROP, PICKUP, LOAN = CashMovementKind.DROP, CashMovementKind.PICKUP, CashMovementKind.LOAN


def item(sku: str, price: int, tax: str = "VAT13") -> ItemRecord:
    return ItemRecord(sku, sku, sku, Unit.EACH, price, tax, "", "", True, ())


def sale(sale_id: str, *, card_part: int = 0, cash_given: int = 0, void: bool = False) -> Sale:
    s = Sale.open(
        sale_id=sale_id,
        store_id="ST",
        lane_id="L1",
        cashier_id="C1",
        currency="CNY",
        pricing=PRICING,
        at=T0,
    )
    s.add_item(item("MILK", 1130), at=T0)
    s.add_item(item("BREAD", 1090, "VAT9"), at=T0)
    if void:
        s.add_item(item("GUM", 100), at=T0)
        s.void_line(3, at=T0)
    s.override_price(1, 1130, manager_id="M1", reason="check", at=T0)
    if card_part:
        s.add_tender(card("k", card_part, "RRN", "CNY"), at=T0)
    if cash_given:
        s.add_tender(cash("c", cash_given, "CNY"), at=T0)
    s.complete(receipt_no=f"R-{sale_id}", at=T0 + timedelta(hours=1))
    return s


def opened(float_amount: int = 20_000) -> Shift:
    return Shift.open(
        shift_id="SH1", lane_id="L1", cashier_id="C1", float_amount=float_amount, at=T0
    )


def test_cash_in_the_drawer_follows_every_movement() -> None:
    shift = opened()
    shift.record_sale(sale("S1", cash_given=5000))  # 22.20 in cash, 27.80 change
    shift.record_sale(sale("S2", card_part=2220))
    shift.move_cash(LOAN, 1000, operator_id="C1", manager_id="M1", at=T0)
    shift.move_cash(DROP, 10_000, operator_id="C1", at=T0)
    shift.move_cash(PICKUP, 3000, operator_id="C1", manager_id="M1", at=T0)
    assert shift.expected_cash() == 20_000 + 2220 + 1000 - 10_000 - 3000


def test_cash_rules() -> None:
    shift = opened(1000)
    with pytest.raises(NotAllowed, match="pickup needs a manager"):
        shift.move_cash(PICKUP, 100, operator_id="C1", at=T0)
    with pytest.raises(
        InvalidInput, match=r"drop of 10\.01 is more than the 10\.00 the drawer should hold"
    ):
        shift.move_cash(DROP, 1001, operator_id="C1", at=T0)
    with pytest.raises(InvalidInput, match="drop 0 must be positive"):
        shift.move_cash(DROP, 0, operator_id="C1", at=T0)
    with pytest.raises(InvalidInput, match="opening float -1"):
        opened(-1)


def test_no_sale_needs_a_manager_and_a_reason() -> None:
    shift = opened()
    with pytest.raises(NotAllowed, match="without a sale needs a manager"):
        shift.no_sale(manager_id=None, reason="change for a note", at=T0)
    with pytest.raises(InvalidInput, match="say why"):
        shift.no_sale(manager_id="M1", reason="", at=T0)
    fact = shift.no_sale(manager_id="M1", reason="change for a note", at=T0)
    assert (fact.cashier_id, fact.manager_id) == ("C1", "M1")


def test_close_with_variance_and_z_report() -> None:
    shift = opened()
    s1 = sale("S1", cash_given=5000, void=True)
    shift.record_sale(s1)
    shift.record_sale(sale("S2", card_part=1000, cash_given=1220))
    refund = return_with_receipt(
        return_id="RET1",
        receipt=receipt_of(s1),
        items=[ReturnItem(2, 1)],
        previous=[],
        cashier_id="C1",
        at=T0 + timedelta(hours=2),
    )
    shift.record_return(refund)
    cancelled = Sale.open(
        sale_id="S3",
        store_id="ST",
        lane_id="L1",
        cashier_id="C1",
        currency="CNY",
        pricing=PRICING,
        at=T0,
    )
    cancelled.add_item(item("X", 5), at=T0)
    cancelled.cancel(at=T0)
    shift.record_sale(cancelled)
    shift.no_sale(manager_id="M1", reason="float check", at=T0)
    shift.move_cash(DROP, 2000, operator_id="C1", at=T0)
    x = shift.x_report(as_of=T0 + timedelta(hours=3))
    assert (x.z_number, x.counted_cash, x.expected_cash) == (
        None,
        None,
        20_000 + 2220 + 1220 - 1090 - 2000,
    )
    with pytest.raises(Conflict, match="a Z report needs it closed"):
        shift_report(shift.facts, as_of=T0, z_number=1)
    closed = shift.close(counted_cash=20_300, at=T0 + timedelta(hours=8))
    assert closed.variance == 20_300 - x.expected_cash
    z = shift.z_report(z_number=41)
    assert (z.z_number, z.sales_count, z.sales_total, z.returns_count, z.returns_total) == (
        41,
        2,
        4440,
        1,
        1090,
    )
    assert z.net_sales == 3350
    assert (z.voided_lines, z.overrides, z.cancelled_sales, z.no_sales, z.drops) == (
        1,
        2,
        1,
        1,
        2000,
    )
    assert z.tenders == (
        TenderTotals(TenderKind.CARD, 1000, 0, 1000),
        TenderTotals(TenderKind.CASH, 3440, 1090, 2350),  # S1 was cash: refunded in cash
    )
    assert z.tax == (
        ClassAmounts("VAT13", 1300, 2000, 260, 2260),
        ClassAmounts("VAT9", 900, 1000, 90, 1090),
    )
    assert sum(c.gross for c in z.tax) == z.net_sales
    assert (z.variance, z.counted_cash) == (closed.variance, 20_300)
    with pytest.raises(Conflict, match="shift SH1 is closed"):
        shift.move_cash(LOAN, 1, operator_id="C1", at=T0)


def test_an_open_sale_is_not_a_fact() -> None:
    s = Sale.open(
        sale_id="S",
        store_id="ST",
        lane_id="L",
        cashier_id="C",
        currency="CNY",
        pricing=PRICING,
        at=T0,
    )
    with pytest.raises(Conflict, match="still open"):
        SaleRecorded.from_sale(s)


def test_facts_round_trip_through_json() -> None:
    shift = opened()
    s1 = sale("S1", card_part=1000, cash_given=2000)
    shift.record_sale(s1)
    shift.record_return(
        return_with_receipt(
            return_id="RET1",
            receipt=receipt_of(s1),
            items=[ReturnItem(1, 1)],
            previous=[],
            cashier_id="C1",
            at=T0,
        )
    )
    shift.move_cash(PICKUP, 100, operator_id="C1", manager_id="M1", at=T0)
    shift.no_sale(manager_id="M1", reason="r", at=T0)
    shift.close(counted_cash=0, at=T0)
    payloads = [fact_to_dict(f) for f in shift.facts]
    canonical_json(payloads)
    again = [fact_from_dict(p) for p in json.loads(json.dumps(payloads))]
    assert again == shift.facts
    assert Shift(again).z_report(z_number=1) == shift.z_report(z_number=1)
    with pytest.raises(InvalidInput, match="unknown shift fact"):
        fact_from_dict({"type": "Nope"})
    with pytest.raises(InvalidInput, match="must start with ShiftOpened"):
        Shift(again[1:])


@given(
    st.lists(
        st.tuples(st.sampled_from(list(CashMovementKind)), st.integers(1, 30_000)), max_size=20
    )
)
def test_the_drawer_never_goes_negative(moves: list[tuple[CashMovementKind, int]]) -> None:
    shift = opened(5000)
    for kind, amount in moves:
        try:
            shift.move_cash(kind, amount, operator_id="C1", manager_id="M1", at=T0)
        except InvalidInput:
            continue
        assert shift.expected_cash() >= 0
