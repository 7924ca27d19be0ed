from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.errors import InvalidInput
from pos.promotions.basket import AppliedDiscount
from pos.tax import (
    DiscountParts,
    Interned,
    LineDiscount,
    PromotionShare,
    StorePricing,
    TaxableLine,
    TaxRounding,
    compute_totals,
    line_discounts,
)

RATES = {"VAT13": 1300, "VAT9": 900, "VAT0": 0}


def pricing(
    inclusive: bool = True, rounding: TaxRounding = TaxRounding.PER_LINE, step: int = 1
) -> StorePricing:
    return StorePricing(RATES, inclusive, rounding, step)


def test_tax_inclusive_price_contains_the_tax() -> None:
    totals = compute_totals([TaxableLine(1, "VAT13", 1130)], pricing())
    assert (totals.net, totals.tax, totals.total) == (1000, 130, 1130)


def test_tax_exclusive_price_gets_tax_added() -> None:
    totals = compute_totals([TaxableLine(1, "VAT13", 1000)], pricing(inclusive=False))
    assert (totals.net, totals.tax, totals.total) == (1000, 130, 1130)


def test_per_line_and_per_total_rounding_differ_and_are_both_exact() -> None:
    lines = [TaxableLine(i, "VAT13", 100) for i in (1, 2, 3)]
    per_line = compute_totals(lines, pricing())
    per_total = compute_totals(lines, pricing(rounding=TaxRounding.PER_TOTAL))
    # 100 * 13/113 = 11.50 -> 12 per line (36); 300 * 13/113 = 34.51 -> 35 on the total
    assert per_line.tax == 36
    assert per_total.tax == 35
    assert [lt.tax for lt in per_total.lines] == [12, 12, 11]
    assert per_line.total == per_total.total == 300


def test_exclusive_per_line_vs_per_total() -> None:
    lines = [TaxableLine(i, "VAT9", 5) for i in (1, 2, 3)]
    # 5 * 9 % = 0.45 -> 0 per line; 15 * 9 % = 1.35 -> 1 on the total
    assert compute_totals(lines, pricing(inclusive=False)).total == 15
    assert compute_totals(lines, pricing(False, TaxRounding.PER_TOTAL)).total == 16


def test_several_tax_classes_have_a_breakdown() -> None:
    totals = compute_totals(
        [
            TaxableLine(1, "VAT13", 1130),
            TaxableLine(2, "VAT9", 1090),
            TaxableLine(3, "VAT0", 500),
            TaxableLine(4, "VAT13", 2260),
        ],
        pricing(),
    )
    by_class = {c.tax_class: (c.rate_bp, c.net, c.tax, c.gross) for c in totals.classes}
    assert by_class == {
        "VAT0": (0, 500, 0, 500),
        "VAT13": (1300, 3000, 390, 3390),
        "VAT9": (900, 1000, 90, 1090),
    }
    assert [c.tax_class for c in totals.classes] == ["VAT0", "VAT13", "VAT9"]
    assert totals.tax == 480
    assert totals.total == 4980


def test_line_discount_reduces_the_taxable_amount() -> None:
    totals = compute_totals([TaxableLine(1, "VAT13", 1130, discount=130)], pricing())
    line = totals.lines[0]
    assert (line.amount, line.discount, line.gross, line.tax, line.net) == (
        1130,
        130,
        1000,
        115,
        885,
    )
    assert (totals.subtotal, totals.discount, totals.total) == (1130, 130, 1000)


@pytest.mark.parametrize(
    ("step", "total", "cash_total"),
    [(1, 1233, 1233), (5, 1233, 1235), (5, 1232, 1230), (10, 1235, 1240)],
)
def test_cash_rounding_to_the_step(step: int, total: int, cash_total: int) -> None:
    totals = compute_totals([TaxableLine(1, "VAT0", total)], pricing(step=step))
    assert (totals.total, totals.cash_total, totals.cash_rounding) == (
        total,
        cash_total,
        cash_total - total,
    )


def test_unknown_tax_class_is_named() -> None:
    with pytest.raises(InvalidInput, match="'VAT20' is not configured"):
        compute_totals([TaxableLine(1, "VAT20", 100)], pricing())


def test_discount_above_the_line_is_refused() -> None:
    with pytest.raises(InvalidInput, match="discount 200"):
        compute_totals([TaxableLine(1, "VAT13", 100, discount=200)], pricing())


def test_duplicate_line_ids_are_refused() -> None:
    with pytest.raises(InvalidInput, match="twice"):
        compute_totals([TaxableLine(1, "VAT13", 1), TaxableLine(1, "VAT13", 2)], pricing())


def test_bad_settings_are_refused() -> None:
    with pytest.raises(InvalidInput, match="rate 10001"):
        StorePricing({"X": 10001})
    with pytest.raises(InvalidInput, match="step 0"):
        StorePricing(RATES, cash_rounding_step=0)


def test_line_discount_must_match_its_promotions() -> None:
    LineDiscount(30, (PromotionShare("P1", 10), PromotionShare("P2", 20)))
    with pytest.raises(InvalidInput, match="differs"):
        LineDiscount(31, (PromotionShare("P1", 10), PromotionShare("P2", 20)))
    with pytest.raises(InvalidInput, match="negative"):
        LineDiscount(-1)


def test_promotions_engine_output_becomes_line_discounts() -> None:
    applied = [
        AppliedDiscount("P1", "2 for 9.99", "第二件半价", 301, {"1": 301}),
        AppliedDiscount("P2", "10% off dairy", "乳品九折", 150, {"1": 100, "2": 50, "3": 0}),
    ]
    discounts = line_discounts(applied)
    assert discounts == {
        1: LineDiscount(
            401,
            (
                PromotionShare("P1", 301, "2 for 9.99", "第二件半价"),
                PromotionShare("P2", 100, "10% off dairy", "乳品九折"),
            ),
        ),
        2: LineDiscount(50, (PromotionShare("P2", 50, "10% off dairy", "乳品九折"),)),
    }
    assert LineDiscount.from_dict(discounts[1].to_dict()) == discounts[1]
    with pytest.raises(InvalidInput, match="line 'x'"):
        line_discounts([AppliedDiscount("P3", "", "", 1, {"x": 1})])


def test_discount_parts_give_the_same_objects_for_the_same_discounts() -> None:
    parts = DiscountParts(size=3)
    applied = [AppliedDiscount("P1", "a", "甲", 30, {"1": 10, "2": 20}), AppliedDiscount("P2", "b", "乙", 5, {"1": 5})]
    first = line_discounts(applied, parts)
    assert first == line_discounts(applied)  # the same values as made afresh
    again = line_discounts(applied, parts)
    assert all(again[k] is first[k] for k in first)
    changed = line_discounts([AppliedDiscount("P1", "a", "甲", 30, {"1": 10, "2": 20})], parts)
    assert changed[2] is first[2] and changed[1] == LineDiscount(10, (PromotionShare("P1", 10, "a", "甲"),))
    renamed = line_discounts([AppliedDiscount("P1", "a2", "甲", 30, {"1": 10, "2": 20})], parts)
    assert renamed[2].promotions[0].name_en == "a2"  # a name is part of what makes a share
    for n in range(10):  # past its size it starts over, and still answers right
        assert line_discounts([AppliedDiscount("P9", "", "", n + 1, {"4": n + 1})], parts) == {
            4: LineDiscount(n + 1, (PromotionShare("P9", n + 1),))
        }


def test_interned_totals_equal_fresh_ones_and_reuse_their_lines() -> None:
    interned = Interned(size=5)
    lines = [TaxableLine(n, "VAT13" if n % 2 else "VAT9", 100 * n + 7, n) for n in range(1, 5)]
    fresh = compute_totals(lines, pricing())
    first = compute_totals(lines, pricing(), interned)
    assert first == fresh
    again = compute_totals(lines, pricing(), interned)
    assert all(a is b for a, b in zip(again.lines, first.lines, strict=True))
    assert interned.taxable(1, "VAT13", 107, 1) == lines[0]
    for n in range(20):  # past its size it starts over, and still answers right
        assert compute_totals([TaxableLine(9, "VAT13", n + 1)], pricing(), interned) == compute_totals(
            [TaxableLine(9, "VAT13", n + 1)], pricing()
        )


def test_pricing_round_trip() -> None:
    p = pricing(False, TaxRounding.PER_TOTAL, 5)
    assert StorePricing.from_dict(p.to_dict()) == p


line_st = st.tuples(st.sampled_from(sorted(RATES)), st.integers(0, 10**7), st.integers(0, 100)).map(
    lambda t: (t[0], t[1], t[1] * t[2] // 100)
)
lines_st = st.lists(line_st, min_size=1, max_size=30)
policy_st = st.builds(
    pricing, st.booleans(), st.sampled_from(list(TaxRounding)), st.sampled_from([1, 5, 10])
)


def _lines(raw: list[tuple[str, int, int]]) -> list[TaxableLine]:
    return [TaxableLine(i, code, amount, disc) for i, (code, amount, disc) in enumerate(raw)]


@given(lines_st, policy_st)
def test_parts_sum_to_their_wholes(raw: list[tuple[str, int, int]], p: StorePricing) -> None:
    totals = compute_totals(_lines(raw), p)
    assert sum(lt.gross for lt in totals.lines) == totals.total
    assert sum(lt.tax for lt in totals.lines) == totals.tax
    assert sum(c.tax for c in totals.classes) == totals.tax
    assert sum(c.net for c in totals.classes) == totals.net
    assert totals.net + totals.tax == totals.total
    assert totals.subtotal - totals.discount == (
        totals.net if not p.prices_include_tax else totals.total
    )
    for c in totals.classes:
        members = [lt for lt in totals.lines if lt.tax_class == c.tax_class]
        assert sum(lt.tax for lt in members) == c.tax
        assert sum(lt.gross for lt in members) == c.gross
    assert abs(totals.cash_rounding) * 2 <= p.cash_rounding_step


@given(lines_st, policy_st, st.randoms(use_true_random=False))
def test_totals_do_not_depend_on_scan_order(
    raw: list[tuple[str, int, int]], p: StorePricing, rnd: random.Random
) -> None:
    lines = _lines(raw)
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    a, b = compute_totals(lines, p), compute_totals(shuffled, p)
    assert (a.total, a.tax, a.net, a.classes) == (b.total, b.tax, b.net, b.classes)


@given(st.lists(st.tuples(lines_st, policy_st, st.sampled_from([1300, 600])), min_size=1, max_size=6))
def test_a_cart_totalled_again_and_again_with_its_interned_values_equals_fresh_totals(
    carts: list[tuple[list[tuple[str, int, int]], StorePricing, int]],
) -> None:
    """One cart's interned lines and taxes, kept across scans, discount changes, voids, another
    rate for a class or the other tax rule, give exactly what fresh totals give."""
    interned = Interned(size=8)
    for raw, policy, vat13 in carts:
        p = StorePricing({**RATES, "VAT13": vat13}, policy.prices_include_tax, policy.tax_rounding, 1)
        for lines in (raw, raw[1:], raw):  # the same cart, a line voided, then back
            taxable = [interned.taxable(i, code, amount, disc) for i, (code, amount, disc) in enumerate(lines)]
            assert compute_totals(taxable, p, interned) == compute_totals(_lines(lines), p)
