from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.canonical import canonical_json
from pos.catalog import ItemRecord, Unit
from pos.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pos.sale import LineSource, Sale, SaleEventName, SaleState
from pos.tax import LineDiscount, PromotionShare, StorePricing, TaxRounding
from pos.tender import TenderKind, card, cash, stored_value

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PRICING = StorePricing({"VAT13": 1300, "VAT9": 900, "VAT0": 0}, cash_rounding_step=1)


def item(
    sku: str = "MILK",
    price: int = 650,
    tax_class: str = "VAT13",
    unit: Unit = Unit.EACH,
    active: bool = True,
) -> ItemRecord:
    return ItemRecord(
        sku, f"{sku} en", f"{sku} 中", unit, price, tax_class, "dairy", "acme", active, ()
    )


APPLES = item("APPLE", 1299, "VAT9", Unit.KG)


def new_sale(pricing: StorePricing = PRICING) -> Sale:
    return Sale.open(
        sale_id="S1",
        store_id="ST1",
        lane_id="L1",
        cashier_id="C7",
        currency="CNY",
        pricing=pricing,
        at=T0,
    )


def test_add_lines_and_totals() -> None:
    sale = new_sale()
    milk = sale.add_item(item(), 2, at=T0, code="6901234567892")
    apples = sale.add_weighed(APPLES, 333, at=T0, scale_id="SC1")
    assert (milk.line_id, milk.amount, apples.line_id, apples.amount) == (1, 1300, 2, 433)
    totals = sale.totals()
    assert totals.total == 1733
    assert {c.tax_class: c.gross for c in totals.classes} == {"VAT13": 1300, "VAT9": 433}
    assert [e.name for e in sale.pull_events()] == [
        SaleEventName.SALE_OPENED,
        SaleEventName.LINE_ADDED,
        SaleEventName.LINE_ADDED,
    ]
    assert sale.pull_events() == []
    assert sale.version == 3


@pytest.mark.parametrize(
    ("quantity", "message"), [(0, "quantity 0"), (-2, "quantity -2"), (1000, "quantity 1000")]
)
def test_absurd_piece_quantities_are_refused(quantity: int, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        new_sale().add_item(item(), quantity, at=T0)


@pytest.mark.parametrize(
    ("grams", "message"), [(0, "weight 0 g"), (-5, "weight -5 g"), (50_001, "50001 g")]
)
def test_absurd_weights_are_refused(grams: int, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        new_sale().add_weighed(APPLES, grams, at=T0)


def test_unit_mismatches_are_refused() -> None:
    sale = new_sale()
    with pytest.raises(InvalidInput, match="sold by weight: weigh it"):
        sale.add_item(APPLES, 1, at=T0)
    with pytest.raises(InvalidInput, match="sold by the piece"):
        sale.add_weighed(item(), 500, at=T0)
    with pytest.raises(InvalidInput, match="scale or a label"):
        sale.add_weighed(APPLES, 500, at=T0, source=LineSource.KEYED)


def test_inactive_item_and_unknown_tax_class_are_refused() -> None:
    sale = new_sale()
    with pytest.raises(NotAllowed, match="inactive"):
        sale.add_item(item(active=False), at=T0)
    with pytest.raises(InvalidInput, match="'VAT20'"):
        sale.add_item(item(tax_class="VAT20"), at=T0)
    assert sale.lines == []


def test_labelled_price_line() -> None:
    sale = new_sale()
    line = sale.add_labelled_price(APPLES, 1299, at=T0, code="2012345012992")
    assert (line.quantity, line.amount, line.source, line.weighed) == (
        1,
        1299,
        LineSource.LABEL_PRICE,
        False,
    )
    with pytest.raises(InvalidInput, match="void it and add it again"):
        sale.change_quantity(line.line_id, 2, at=T0)


def test_change_quantity_and_void() -> None:
    sale = new_sale()
    line = sale.add_item(item(), at=T0)
    assert sale.change_quantity(line.line_id, 3, at=T0).amount == 1950
    with pytest.raises(InvalidInput, match="quantity 0"):
        sale.change_quantity(line.line_id, 0, at=T0)
    voided = sale.void_line(line.line_id, at=T0)
    assert voided.voided and sale.lines == [voided] and sale.totals().total == 0
    with pytest.raises(Conflict, match="already voided"):
        sale.void_line(line.line_id, at=T0)
    with pytest.raises(NotFound, match="line 9"):
        sale.void_line(9, at=T0)
    events = [e for e in sale.pull_events() if e.name is SaleEventName.LINE_VOIDED]
    assert events[0].data == {"line_id": 1, "sku": "MILK", "quantity": 3, "amount": 1950}


def test_price_override_needs_a_manager_and_a_reason() -> None:
    sale = new_sale()
    line = sale.add_item(item(), 2, at=T0)
    with pytest.raises(NotAllowed, match="needs a manager"):
        sale.override_price(line.line_id, 500, manager_id="", reason="damaged", at=T0)
    with pytest.raises(InvalidInput, match="reason"):
        sale.override_price(line.line_id, 500, manager_id="M1", reason=" ", at=T0)
    new = sale.override_price(line.line_id, 500, manager_id="M1", reason="dented", at=T0)
    assert new.amount == 1000 and new.unit_price == 650
    event = sale.pull_events()[-1]
    assert (event.name, event.cashier_id, event.manager_id) == (
        SaleEventName.PRICE_OVERRIDDEN,
        "C7",
        "M1",
    )
    assert event.data["old_price"] == 650 and event.data["price"] == 500


def test_discounts_reduce_totals_and_are_dropped_on_line_changes() -> None:
    sale = new_sale()
    a = sale.add_item(item(), 2, at=T0)
    sale.add_item(item("BREAD", 500, "VAT9"), at=T0)
    totals = sale.apply_discounts(
        {a.line_id: LineDiscount(300, (PromotionShare("P1", 300),))}, at=T0
    )
    assert (totals.subtotal, totals.discount, totals.total) == (1800, 300, 1500)
    with pytest.raises(InvalidInput, match="line 9"):
        sale.apply_discounts({9: LineDiscount(1)}, at=T0)
    with pytest.raises(InvalidInput, match="discount 5000"):
        sale.apply_discounts({a.line_id: LineDiscount(5000)}, at=T0)
    assert sale.totals().total == 1500
    sale.add_item(item("EGG", 100), at=T0)
    assert sale.discounts == {} and sale.totals().discount == 0


def test_pay_and_complete() -> None:
    sale = new_sale()
    sale.add_item(item(), 2, at=T0)
    sale.add_tender(card("t1", 1000, "RRN1", "CNY"), at=T0)
    with pytest.raises(Conflict, match=r"underpaid: 3.00 CNY still due"):
        sale.complete(receipt_no="R1", at=T0)
    after = sale.add_tender(cash("t2", 500, "CNY"), at=T0)
    assert (after.settled, after.change) == (True, 200)
    event = sale.complete(receipt_no="R1", at=T0 + timedelta(minutes=1))
    assert event.name is SaleEventName.SALE_COMPLETED
    assert event.data["total"] == 1300 and event.data["change"] == 200
    assert (sale.state, sale.receipt_no) == (SaleState.COMPLETED, "R1")
    with pytest.raises(Conflict, match="is completed"):
        sale.complete(receipt_no="R2", at=T0)
    with pytest.raises(Conflict, match="is completed"):
        sale.add_item(item(), at=T0)


def test_empty_sale_cannot_be_paid_or_completed() -> None:
    sale = new_sale()
    with pytest.raises(InvalidInput, match="empty"):
        sale.add_tender(cash("t", 100, "CNY"), at=T0)
    with pytest.raises(InvalidInput, match="cannot complete an empty sale"):
        sale.complete(receipt_no="R1", at=T0)


def test_tender_in_another_currency_is_refused() -> None:
    sale = new_sale()
    sale.add_item(item(), at=T0)
    with pytest.raises(InvalidInput, match="in USD refused"):
        sale.add_tender(cash("t", 1000, "USD"), at=T0)


def test_void_after_tender_needs_a_manager_and_cannot_leave_a_card_overpaid() -> None:
    sale = new_sale()
    a = sale.add_item(item(), at=T0)
    b = sale.add_item(item("BREAD", 500), at=T0)
    sale.add_tender(card("t1", 1000, "RRN1", "CNY"), at=T0)
    with pytest.raises(NotAllowed, match="manager"):
        sale.void_line(b.line_id, at=T0)
    with pytest.raises(Conflict, match="void that payment first"):
        sale.void_line(b.line_id, at=T0, manager_id="M1")
    assert not sale.line(b.line_id).voided
    with pytest.raises(NotAllowed, match="manager"):
        sale.void_tender("t1", at=T0)
    sale.void_tender("t1", at=T0, manager_id="M1")
    sale.add_tender(cash("t2", 100, "CNY"), at=T0)
    sale.void_line(a.line_id, at=T0, manager_id="M1")
    assert sale.line(a.line_id).voided
    # raising a quantity after tender needs nobody
    sale.change_quantity(b.line_id, 2, at=T0)


def test_suspend_resume_cancel() -> None:
    sale = new_sale()
    with pytest.raises(InvalidInput, match="empty sale cannot be suspended"):
        sale.suspend(at=T0)
    sale.add_item(item(), at=T0)
    sale.suspend(at=T0)
    with pytest.raises(Conflict, match="suspended"):
        sale.add_item(item(), at=T0)
    sale.resume(lane_id="L2", cashier_id="C8", at=T0)
    with pytest.raises(Conflict, match="is open on lane L2, not suspended"):
        sale.resume(lane_id="L3", cashier_id="C9", at=T0)
    assert (sale.lane_id, sale.cashier_id) == ("L2", "C8")
    sale.add_tender(cash("t", 100, "CNY"), at=T0)
    with pytest.raises(Conflict, match="payments"):
        sale.suspend(at=T0)
    with pytest.raises(Conflict, match="payments"):
        sale.cancel(at=T0)
    with pytest.raises(NotAllowed, match="voiding the cash payment needs a manager"):
        sale.void_tender("t", at=T0)
    sale.void_tender("t", at=T0, manager_id="M1")
    sale.cancel(at=T0, manager_id="M1")
    assert sale.state is SaleState.CANCELLED
    with pytest.raises(Conflict, match="already cancelled"):
        sale.cancel(at=T0)


def test_naive_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        new_sale().add_item(item(), at=datetime(2025, 1, 1, 9, 0))


def test_round_trip_through_json_keeps_everything() -> None:
    sale = new_sale(StorePricing({"VAT13": 1300, "VAT9": 900}, False, TaxRounding.PER_TOTAL, 5))
    a = sale.add_item(item(), 3, at=T0, code="6901234567892")
    sale.add_weighed(APPLES, 1250, at=T0, scale_id="SC1")
    sale.override_price(a.line_id, 600, manager_id="M1", reason="match", at=T0)
    sale.add_item(item("GUM", 100), at=T0)
    sale.void_line(3, at=T0)
    sale.apply_discounts(
        {a.line_id: LineDiscount(120, (PromotionShare("P9", 120, "3 for 2"),))}, at=T0
    )
    sale.add_tender(stored_value("g", TenderKind.GIFT_CARD, 500, "GC1", 900, "CNY"), at=T0)
    saved = json.loads(json.dumps(sale.to_dict()))
    canonical_json(saved)  # no floats anywhere
    back = Sale.from_dict(saved)
    assert back.to_dict() == sale.to_dict()
    assert back.totals() == sale.totals()
    assert back.settlement() == sale.settlement()
    back.add_tender(cash("c", 10_000, "CNY"), at=T0)
    back.complete(receipt_no="R9", at=T0)
    assert Sale.from_dict(back.to_dict()).to_dict() == back.to_dict()


def test_unreadable_snapshot_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unreadable"):
        Sale.from_dict({"sale_id": "S1"})


def test_events_are_json_able_for_the_journal() -> None:
    sale = new_sale()
    sale.add_item(item(), at=T0)
    payloads = [e.to_dict() for e in sale.pull_events()]
    canonical_json(payloads)
    assert payloads[1]["name"] == "LineAdded" and payloads[1]["data"]["line"]["sku"] == "MILK"


scan_st = st.lists(
    st.one_of(
        st.tuples(
            st.just("each"),
            st.sampled_from(["VAT13", "VAT9", "VAT0"]),
            st.integers(0, 50_000),
            st.integers(1, 20),
        ),
        st.tuples(
            st.just("kg"),
            st.sampled_from(["VAT13", "VAT9"]),
            st.integers(0, 50_000),
            st.integers(1, 50_000),
        ),
    ),
    min_size=1,
    max_size=25,
)


def _scan(scans: list[tuple[str, str, int, int]], pricing: StorePricing) -> Sale:
    sale = new_sale(pricing)
    for i, (unit, tax, price, qty) in enumerate(scans):
        if unit == "kg":
            sale.add_weighed(item(f"K{i}", price, tax, Unit.KG), qty, at=T0)
        else:
            sale.add_item(item(f"E{i}", price, tax), qty, at=T0)
    return sale


pricing_st = st.builds(
    lambda inc, rnd, step: StorePricing({"VAT13": 1300, "VAT9": 900, "VAT0": 0}, inc, rnd, step),
    st.booleans(),
    st.sampled_from(list(TaxRounding)),
    st.sampled_from([1, 5, 10]),
)


@given(scan_st, pricing_st, st.randoms(use_true_random=False))
def test_lines_sum_to_the_total_whatever_the_scan_order(
    scans: list[tuple[str, str, int, int]], pricing: StorePricing, rnd: random.Random
) -> None:
    sale = _scan(scans, pricing)
    totals = sale.totals()
    assert sum(lt.gross for lt in totals.lines) == totals.total
    assert sum(c.tax for c in totals.classes) == totals.tax
    if pricing.prices_include_tax:
        assert totals.total == sum(line.amount for line in sale.lines)
    shuffled = list(scans)
    rnd.shuffle(shuffled)
    other = _scan(shuffled, pricing).totals()
    assert (other.total, other.tax, other.classes, other.cash_total) == (
        totals.total,
        totals.tax,
        totals.classes,
        totals.cash_total,
    )


def test_line_to_dict_matches_dataclass_fields_exactly() -> None:
    """The hand-written to_dict must name every field: a new field forgotten there would be lost."""
    import dataclasses

    from pos.sale_line import LineSource, PriceOverride, SaleLine

    line = SaleLine(7, "S1", "Apple", "苹果", 1250, 1380, "VAT0", "produce", "", True, LineSource.SCALE,
                    "10001", "SC1", PriceOverride(1000, "100", "bruised"), False)
    data = line.to_dict()
    assert set(data) == {f.name for f in dataclasses.fields(SaleLine)}
    assert SaleLine.from_dict(data) == line
