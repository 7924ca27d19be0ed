from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.errors import Conflict, InvalidInput
from pos.tender import (
    Tender,
    TenderKind,
    accept_tender,
    card,
    cash,
    exchange_credit,
    looks_like_pan,
    luhn_ok,
    net_by_tender,
    settle,
    stored_value,
)


@pytest.mark.parametrize(
    ("text", "is_pan"),
    [
        ("4111111111111111", True),
        ("4111 1111 1111 1111", True),
        ("ref 4111-1111-1111-1111 ok", True),
        ("378282246310005", True),  # 15-digit Amex test number
        ("4111111111111112", False),  # fails Luhn
        ("123456789012", False),  # a 12-digit retrieval reference number
        ("A7X9-20240501-0042", False),
        ("", False),
    ],
)
def test_card_numbers_are_recognised(text: str, is_pan: bool) -> None:
    assert looks_like_pan(text) is is_pan


def test_luhn() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")


def test_card_keeps_only_the_terminal_reference() -> None:
    t = card("t1", 500, " RRN 000123456789 ", "CNY")
    assert (t.kind, t.amount, t.reference) == (TenderKind.CARD, 500, "RRN 000123456789")
    with pytest.raises(InvalidInput, match="looks like a card number"):
        card("t2", 500, "4111111111111111", "CNY")
    with pytest.raises(InvalidInput, match="terminal's reference"):
        card("t3", 500, "  ", "CNY")


def test_amounts_must_be_positive() -> None:
    with pytest.raises(InvalidInput, match="cash amount 0"):
        cash("t", 0, "CNY")
    with pytest.raises(InvalidInput, match="card amount -5"):
        card("t", -5, "R1", "CNY")
    with pytest.raises(InvalidInput, match="above the maximum"):
        cash("t", 10**12, "CNY")


def test_gift_card_is_refused_above_its_balance() -> None:
    t = stored_value("t", TenderKind.GIFT_CARD, 2000, "GC-1", balance=2000, currency="CNY")
    assert t.reference == "GC-1"
    with pytest.raises(InvalidInput, match=r"GC-1 has a balance of 20\.00: cannot take 30\.00"):
        stored_value("t", TenderKind.GIFT_CARD, 3000, "GC-1", balance=2000, currency="CNY")
    with pytest.raises(InvalidInput, match="not a voucher or gift card"):
        stored_value("t", TenderKind.CARD, 1, "X", balance=5, currency="CNY")
    with pytest.raises(InvalidInput, match="needs the voucher code"):
        stored_value("t", TenderKind.VOUCHER, 1, " ", balance=5, currency="CNY")


def test_cash_gives_change() -> None:
    s = settle(8735, [cash("c", 10000, "CNY")])
    assert (s.settled, s.change, s.paid, s.cash_rounding) == (True, 1265, 8735, 0)


def test_cash_rounding_applies_only_to_what_cash_settles() -> None:
    assert settle(1233, [cash("c", 2000, "CNY")], cash_step=5).change == 765  # pays 12.35
    split = settle(1233, [card("k", 1000, "R1", "CNY"), cash("c", 235, "CNY")], cash_step=5)
    assert (split.settled, split.cash_rounding, split.change, split.paid) == (True, 2, 0, 1235)
    exact = settle(1233, [cash("c", 1000, "CNY"), card("k", 233, "R1", "CNY")], cash_step=5)
    assert (exact.settled, exact.cash_rounding, exact.paid) == (True, 0, 1233)
    down = settle(1232, [cash("c", 1230, "CNY")], cash_step=5)
    assert (down.settled, down.cash_rounding, down.change) == (True, -2, 0)


def test_partial_payment_leaves_a_balance() -> None:
    s = settle(1233, [cash("c", 1000, "CNY")], cash_step=10)
    assert (s.settled, s.balance_due, s.cash_balance_due, s.paid) == (False, 233, 230, 1000)


def test_non_cash_over_tender_is_refused() -> None:
    tenders = [cash("c", 1000, "CNY")]
    with pytest.raises(InvalidInput, match=r"card 3.00 is more than the 2.33 still due"):
        accept_tender(1233, tenders, card("k", 300, "R1", "CNY"), currency="CNY")
    with pytest.raises(InvalidInput, match="gift_card"):
        accept_tender(
            1233,
            tenders,
            stored_value("g", TenderKind.GIFT_CARD, 300, "G", 5000, "CNY"),
            currency="CNY",
        )
    after = accept_tender(1233, tenders, cash("c2", 5000, "CNY"), currency="CNY")
    assert after.change == 4767


def test_tender_in_another_currency_is_refused() -> None:
    with pytest.raises(InvalidInput, match="tender in USD refused: this sale is in CNY"):
        accept_tender(100, [], cash("c", 100, "USD"), currency="CNY")


def test_no_tender_after_the_sale_is_paid_and_no_duplicate_ids() -> None:
    paid = [card("k", 100, "R1", "CNY")]
    with pytest.raises(Conflict, match="already paid"):
        accept_tender(100, paid, cash("c", 100, "CNY"), currency="CNY")
    with pytest.raises(Conflict, match="already on this sale"):
        accept_tender(200, paid, card("k", 100, "R2", "CNY"), currency="CNY")


def test_net_by_tender_takes_change_from_cash() -> None:
    tenders = [cash("c1", 500, "CNY"), card("k", 300, "R", "CNY"), cash("c2", 1000, "CNY")]
    s = settle(1000, tenders)
    assert s.change == 800
    assert net_by_tender(tenders, s) == [500, 300, 200]


def test_tender_round_trip() -> None:
    t = exchange_credit("x", 500, "RET-1", "CNY")
    assert Tender.from_dict(t.to_dict()) == t


tender_st = st.one_of(
    st.builds(lambda a: ("cash", a), st.integers(1, 50_000)),
    st.builds(lambda a: ("card", a), st.integers(1, 50_000)),
)


@given(st.integers(0, 100_000), st.lists(tender_st, max_size=6), st.sampled_from([1, 5, 10]))
def test_accepted_tenders_never_overpay_except_cash_change(
    total: int, requests: list[tuple[str, int]], step: int
) -> None:
    tenders: list[Tender] = []
    for i, (kind, amount) in enumerate(requests):
        new = cash(f"t{i}", amount, "CNY") if kind == "cash" else card(f"t{i}", amount, "R", "CNY")
        try:
            accept_tender(total, tenders, new, currency="CNY", cash_step=step)
        except (InvalidInput, Conflict):
            continue
        tenders.append(new)
    s = settle(total, tenders, step)
    nets = net_by_tender(tenders, s)
    assert all(n >= 0 for n in nets)
    assert sum(nets) == s.paid
    assert s.non_cash <= total
    if s.settled:
        assert s.paid == total + s.cash_rounding
        assert abs(s.cash_rounding) * 2 <= step
        assert s.change >= 0
    else:
        assert s.paid < total + step
