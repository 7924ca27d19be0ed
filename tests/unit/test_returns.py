from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.catalog import ItemRecord, Unit
from pos.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pos.returns import (
    Disposition,
    NoReceiptBasis,
    NoReceiptPolicy,
    PriceChange,
    Refund,
    ReturnItem,
    SoldReceipt,
    no_receipt_unit_price,
    receipt_of,
    return_with_receipt,
    return_without_receipt,
)
from pos.sale import Sale
from pos.tax import LineDiscount, PromotionShare, StorePricing
from pos.tender import Tender, TenderKind, card, cash, exchange_credit, stored_value

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PRICING = StorePricing({"VAT13": 1300, "VAT9": 900})


def item(sku: str, price: int, tax: str = "VAT13", unit: Unit = Unit.EACH) -> ItemRecord:
    return ItemRecord(sku, f"{sku} en", f"{sku} 中", unit, price, tax, "", "", True, ())


def completed_sale(tenders: list[Tender], pricing: StorePricing = PRICING) -> Sale:
    """Milk 2 x 6.50 less a 3.01 promotion, bread 5.00, apples 1.5 kg at 12.99/kg."""
    sale = Sale.open(
        sale_id="S1",
        store_id="ST",
        lane_id="L1",
        cashier_id="C1",
        currency="CNY",
        pricing=pricing,
        at=T0,
    )
    milk = sale.add_item(item("MILK", 650), 2, at=T0)
    sale.add_item(item("BREAD", 500, "VAT9"), at=T0)
    sale.add_weighed(item("APPLE", 1299, "VAT9", Unit.KG), 1500, at=T0)
    sale.apply_discounts(
        {milk.line_id: LineDiscount(301, (PromotionShare("P1", 301, "2 for 9.99"),))}, at=T0
    )
    for tender in tenders:
        sale.add_tender(tender, at=T0)
    sale.complete(receipt_no="R-0001", at=T0)
    return sale


# total: 999 + 500 + 1949 (1299 * 1.5 = 1948.5 -> 1949) = 3448
CARD_AND_CASH = [card("k", 2000, "RRN1", "CNY"), cash("c", 2000, "CNY")]


def ret(
    receipt: SoldReceipt, items: list[ReturnItem], previous: list[Refund], **kw: object
) -> Refund:
    return return_with_receipt(
        return_id=f"RET{len(previous) + 1}",
        receipt=receipt,
        items=items,
        previous=previous,
        cashier_id="C2",
        at=T0 + timedelta(days=1),
        **kw,  # type: ignore[arg-type]
    )


def test_receipt_records_what_was_paid() -> None:
    receipt = receipt_of(completed_sale(CARD_AND_CASH))
    assert [line.paid for line in receipt.lines] == [999, 500, 1949]
    assert [(t.kind, t.amount) for t in receipt.tenders] == [
        (TenderKind.CARD, 2000),
        (TenderKind.CASH, 1448),
    ]


def test_only_completed_sales_can_be_returned() -> None:
    sale = Sale.open(
        sale_id="S2",
        store_id="ST",
        lane_id="L",
        cashier_id="C",
        currency="CNY",
        pricing=PRICING,
        at=T0,
    )
    with pytest.raises(Conflict, match="only completed sales"):
        receipt_of(sale)


def test_partial_returns_prorate_the_price_paid_exactly() -> None:
    receipt = receipt_of(completed_sale(CARD_AND_CASH))
    first = ret(receipt, [ReturnItem(1, 1)], [])
    second = ret(receipt, [ReturnItem(1, 1, Disposition.DAMAGED)], [first])
    assert (first.total, second.total) == (500, 499)  # 9.99 split 5.00 + 4.99
    assert first.lines[0].promotions[0].amount + second.lines[0].promotions[0].amount == 301
    assert first.lines[0].tax + second.lines[0].tax == receipt.lines[0].tax
    assert second.lines[0].disposition is Disposition.DAMAGED
    with pytest.raises(
        Conflict, match=r"1 pcs asked, 0 pcs left to return \(2 pcs already returned\)"
    ):
        ret(receipt, [ReturnItem(1, 1)], [first, second])


def test_never_more_than_sold() -> None:
    receipt = receipt_of(completed_sale(CARD_AND_CASH))
    with pytest.raises(Conflict, match="3 pcs asked, 2 pcs left"):
        ret(receipt, [ReturnItem(1, 3)], [])
    with pytest.raises(NotFound, match="line 7 is not on receipt R-0001"):
        ret(receipt, [ReturnItem(7, 1)], [])
    with pytest.raises(InvalidInput, match="listed twice"):
        ret(receipt, [ReturnItem(1, 1), ReturnItem(1, 1)], [])
    with pytest.raises(InvalidInput, match="quantity 0"):
        ret(receipt, [ReturnItem(1, 0)], [])
    with pytest.raises(InvalidInput, match="nothing to return"):
        ret(receipt, [], [])


def test_weighed_line_returns_by_grams() -> None:
    receipt = receipt_of(completed_sale(CARD_AND_CASH))
    part = ret(receipt, [ReturnItem(3, 500)], [])
    assert part.total == 650  # 1949 * 500 / 1500 = 649.67 -> 650
    rest = ret(receipt, [ReturnItem(3, 1000)], [part])
    assert part.total + rest.total == 1949
    with pytest.raises(Conflict, match="1 g asked, 0 g left"):
        ret(receipt, [ReturnItem(3, 1)], [part, rest])


def test_refund_goes_back_to_card_first_then_cash() -> None:
    receipt = receipt_of(completed_sale(CARD_AND_CASH))
    first = ret(receipt, [ReturnItem(3, 1500)], [])  # 19.49: 19.49 back to the card
    assert [(t.kind, t.amount, t.original_tender_id) for t in first.tenders] == [
        (TenderKind.CARD, 1949, "k")
    ]
    second = ret(
        receipt, [ReturnItem(1, 2), ReturnItem(2, 1)], [first]
    )  # 14.99: 0.51 card, 14.48 cash
    assert [(t.kind, t.amount) for t in second.tenders] == [
        (TenderKind.CARD, 51),
        (TenderKind.CASH, 1448),
    ]
    assert first.paid_out + second.paid_out == 3448


def test_gift_card_and_voucher_come_before_cash() -> None:
    tenders = [
        cash("c", 1000, "CNY"),
        stored_value("v", TenderKind.VOUCHER, 500, "V1", 500, "CNY"),
        stored_value("g", TenderKind.GIFT_CARD, 1000, "G1", 5000, "CNY"),
        card("k", 948, "RRN", "CNY"),
    ]
    receipt = receipt_of(completed_sale(tenders))
    refund = ret(receipt, [ReturnItem(3, 1500), ReturnItem(1, 2)], [])  # 29.48
    assert [(t.kind, t.amount) for t in refund.tenders] == [
        (TenderKind.CARD, 948),
        (TenderKind.GIFT_CARD, 1000),
        (TenderKind.VOUCHER, 500),
        (TenderKind.CASH, 500),
    ]


def test_cash_refund_is_rounded_to_the_step_within_what_cash_paid() -> None:
    pricing = StorePricing({"VAT13": 1300, "VAT9": 900}, cash_rounding_step=10)
    sale = completed_sale([cash("c", 5000, "CNY")], pricing)  # 34.48 paid as 34.50
    receipt = receipt_of(sale)
    assert receipt.tenders[0].amount == 3450
    first = ret(receipt, [ReturnItem(1, 1)], [], cash_step=10)  # 5.00
    second = ret(receipt, [ReturnItem(1, 1)], [first], cash_step=10)  # 4.99 -> 5.00
    assert (second.tenders[0].amount, second.cash_rounding) == (500, 1)
    rest = ret(receipt, [ReturnItem(2, 1), ReturnItem(3, 1500)], [first, second], cash_step=10)
    assert first.paid_out + second.paid_out + rest.paid_out == 3450


def test_exchange_keeps_credit_for_the_new_sale() -> None:
    receipt = receipt_of(completed_sale(CARD_AND_CASH))
    refund = ret(receipt, [ReturnItem(2, 1)], [], exchange_amount=300)
    assert [(t.kind, t.amount) for t in refund.tenders] == [
        (TenderKind.EXCHANGE_CREDIT, 300),
        (TenderKind.CARD, 200),
    ]
    dearer = ret(receipt, [ReturnItem(1, 1)], [refund], exchange_amount=2000)
    assert [(t.kind, t.amount) for t in dearer.tenders] == [(TenderKind.EXCHANGE_CREDIT, 500)]
    assert (dearer.exchange_credit, dearer.paid_out) == (500, 500)
    # the new sale is paid first with the credit, the customer pays the rest
    new = Sale.open(
        sale_id="S9",
        store_id="ST",
        lane_id="L",
        cashier_id="C",
        currency="CNY",
        pricing=PRICING,
        at=T0,
    )
    new.add_item(item("CHEESE", 2000), at=T0)
    new.add_tender(exchange_credit("x", dearer.exchange_credit, dearer.return_id, "CNY"), at=T0)
    assert new.settlement().balance_due == 1500
    with pytest.raises(InvalidInput, match="negative"):
        ret(receipt, [ReturnItem(1, 1)], [refund, dearer], exchange_amount=-1)


def test_refund_round_trip() -> None:
    receipt = receipt_of(completed_sale(CARD_AND_CASH))
    refund = ret(receipt, [ReturnItem(1, 1)], [], exchange_amount=100)
    assert Refund.from_dict(json.loads(json.dumps(refund.to_dict()))) == refund


HISTORY = [
    PriceChange(T0 - timedelta(days=90), 900),
    PriceChange(T0 - timedelta(days=40), 700),
    PriceChange(T0 - timedelta(days=10), 600),
    PriceChange(T0 - timedelta(days=5), 800),
]


@pytest.mark.parametrize(
    ("basis", "days", "expected"),
    [
        (NoReceiptBasis.CURRENT_PRICE, 30, 800),
        (NoReceiptBasis.LOWEST_RECENT_PRICE, 30, 600),
        (NoReceiptBasis.LOWEST_RECENT_PRICE, 4, 800),  # only 8.00 in the last 4 days
        (NoReceiptBasis.LOWEST_RECENT_PRICE, 7, 600),  # 6.00 was still in effect 7 days ago
        (NoReceiptBasis.LOWEST_RECENT_PRICE, 60, 600),
    ],
)
def test_no_receipt_price_policy(basis: NoReceiptBasis, days: int, expected: int) -> None:
    assert no_receipt_unit_price(800, HISTORY, NoReceiptPolicy(basis, days), T0) == expected


def no_receipt(
    manager: str | None, policy: NoReceiptPolicy, pricing: StorePricing = PRICING, qty: int = 2
) -> Refund:
    return return_without_receipt(
        return_id="NR1",
        item=item("MILK", 800),
        quantity=qty,
        policy=policy,
        history=HISTORY,
        pricing=pricing,
        currency="CNY",
        cashier_id="C1",
        manager_id=manager,
        at=T0,
    )


def test_no_receipt_return_needs_a_manager() -> None:
    with pytest.raises(NotAllowed, match="without a receipt needs a manager"):
        no_receipt(None, NoReceiptPolicy())
    refund = no_receipt("M1", NoReceiptPolicy())
    assert (refund.total, refund.manager_id, refund.receipt_no) == (1200, "M1", None)
    assert refund.lines[0].tax == 138  # 12.00 * 13/113 = 1.38
    assert refund.tenders[0].kind is TenderKind.CASH
    with pytest.raises(InvalidInput, match="quantity 1000"):
        no_receipt("M1", NoReceiptPolicy(), qty=1000)


def test_no_receipt_store_credit_and_tax_exclusive_prices() -> None:
    pricing = StorePricing({"VAT13": 1300}, prices_include_tax=False, cash_rounding_step=10)
    credit = no_receipt("M1", NoReceiptPolicy(refund_as=TenderKind.GIFT_CARD), pricing)
    assert (credit.total, credit.lines[0].tax, credit.tenders[0].amount) == (1356, 156, 1356)
    cash_back = no_receipt("M1", NoReceiptPolicy(), pricing)
    assert (cash_back.tenders[0].amount, cash_back.cash_rounding) == (1360, 4)


tender_sets = st.sampled_from(
    [
        CARD_AND_CASH,
        [cash("c", 4000, "CNY")],
        [card("k", 3448, "R", "CNY")],
        [stored_value("g", TenderKind.GIFT_CARD, 1000, "G", 1000, "CNY"), cash("c", 3000, "CNY")],
    ]
)


@given(
    tender_sets,
    st.sampled_from([1, 5, 10]),
    st.lists(st.tuples(st.integers(1, 3), st.integers(1, 1500)), max_size=12),
)
def test_refunds_never_exceed_what_was_paid(
    tenders: list[Tender], step: int, asks: list[tuple[int, int]]
) -> None:
    pricing = StorePricing({"VAT13": 1300, "VAT9": 900}, cash_rounding_step=step)
    receipt = receipt_of(completed_sale(tenders, pricing))
    done: list[Refund] = []
    for line_id, qty in asks:
        try:
            done.append(ret(receipt, [ReturnItem(line_id, qty)], done, cash_step=step))
        except (Conflict, InvalidInput):
            continue
    for line in receipt.lines:
        refunded = sum(
            r.amount for d in done for r in d.lines if r.original_line_id == line.line_id
        )
        returned = sum(
            r.quantity for d in done for r in d.lines if r.original_line_id == line.line_id
        )
        assert returned <= line.quantity
        assert refunded <= line.paid
        if returned == line.quantity:
            assert refunded == line.paid
    for tender in receipt.tenders:
        back = sum(
            t.amount for d in done for t in d.tenders if t.original_tender_id == tender.tender_id
        )
        assert back <= tender.amount
    assert sum(d.paid_out for d in done) <= sum(t.amount for t in receipt.tenders)
