"""The pricer's behaviour beyond single examples: coupons, near misses, unknown SKUs,
incremental re-pricing, the bounded search, and its inputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.errors import InvalidInput
from pos.money import allocate_proportionally
from pos.promotions import BasketLine, Pricer, PricingContext, PricingResult, load_bundle
from pos.promotions import search as search_module
from pos.promotions.memo import Memo
from pos.promotions.thresholds import Candidate, _choose_disjoint, split_by_headroom

CST = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2024, 5, 6, 10, 30, tzinfo=CST)


def pricer(*promotions: dict[str, Any], **kw: Any) -> Pricer:
    return Pricer(load_bundle({"version": 1, "promotions": list(promotions)}), **kw)


def promo(pid: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": pid, "name_en": f"{pid} en", "name_zh": f"{pid} 中", "type": kind, **fields}


def ctx(**kw: Any) -> PricingContext:
    return PricingContext(**{"at": AT, "store_id": "S1", **kw})


COUPON = promo(
    "c5",
    "spend_threshold",
    tiers=[{"min_spend": 3000, "amount_off": 500}],
    coupon={"code": "SAVE5", "max_uses": 10, "max_uses_per_customer": 1},
)


class TestCoupons:
    lines = (BasketLine("1", "A", 1, 4000),)

    def price(self, **kw: Any) -> PricingResult:
        return pricer(COUPON).price(self.lines, ctx(**kw))

    def test_a_presented_coupon_applies_and_is_recorded(self) -> None:
        result = self.price(coupon_codes=(" save5 ",), customer_id="m1")
        assert [(d.promotion_id, d.amount, d.coupon_code) for d in result.discounts] == [
            ("c5", 500, "SAVE5")
        ]
        assert result.rejected_coupons == ()

    @pytest.mark.parametrize(
        ("kw", "reason"),
        [
            ({"customer_id": "m1", "coupon_uses": {"SAVE5": 10}}, "used_up"),
            ({"customer_id": "m1", "customer_coupon_uses": {"save5": 1}}, "customer_limit"),
            ({}, "needs_customer"),
        ],
    )
    def test_coupon_limits(self, kw: dict[str, Any], reason: str) -> None:
        result = self.price(**{"coupon_codes": ("SAVE5",), **kw})
        assert result.discounts == ()
        assert [(r.code, r.reason) for r in result.rejected_coupons] == [("SAVE5", reason)]

    def test_a_coupon_outside_its_window_is_not_live(self) -> None:
        coupon = {
            **COUPON,
            "windows": [{"start": "2024-06-01T00:00:00+08:00", "end": "2024-07-01T00:00:00+08:00"}],
        }
        result = pricer(coupon).price(self.lines, ctx(coupon_codes=("SAVE5",), customer_id="m1"))
        assert [r.reason for r in result.rejected_coupons] == ["not_live"]

    def test_unknown_and_unqualified_codes_are_explained(self) -> None:
        result = pricer(COUPON).price(
            [BasketLine("1", "A", 1, 1000)], ctx(coupon_codes=("SAVE5", "NOPE"), customer_id="m")
        )
        assert [(r.code, r.reason) for r in result.rejected_coupons] == [
            ("NOPE", "unknown"),
            ("SAVE5", "not_qualified"),
        ]
        assert result.rejected_coupons[0].message_en == "Coupon NOPE is not known"
        assert result.rejected_coupons[0].message_zh == "优惠券NOPE无效"

    def test_a_coupon_beaten_by_a_better_offer_says_so(self) -> None:
        exclusive = promo(
            "staff", "percent_off", items={"all": True}, percent_off=30, stacking="exclusive"
        )
        result = pricer(COUPON, exclusive).price(
            self.lines, ctx(coupon_codes=("SAVE5",), customer_id="m")
        )
        assert [d.promotion_id for d in result.discounts] == ["staff"]
        assert [r.reason for r in result.rejected_coupons] == ["not_best"]


class TestNearMisses:
    def test_one_more_item_for_free(self) -> None:
        b2g1 = promo("b2g1", "buy_x_get_y", items={"skus": ["cola"]}, buy_quantity=2)
        result = pricer(b2g1).price([BasketLine("1", "cola", 2, 350)], ctx())
        (miss,) = result.near_misses
        assert (miss.promotion_id, miss.missing_quantity, miss.potential_saving) == ("b2g1", 1, 350)
        assert miss.message_en == "Add 1 more to save 3.50"
        assert miss.message_zh == "再买1件，可省3.50元"

    def test_spend_more_to_reach_the_next_tier(self) -> None:
        tiers = [{"min_spend": 10000, "amount_off": 1500}, {"min_spend": 20000, "amount_off": 4000}]
        result = pricer(promo("t", "spend_threshold", tiers=tiers)).price(
            [BasketLine("1", "A", 1, 12000)], ctx()
        )
        (miss,) = result.near_misses
        assert (miss.missing_spend, miss.potential_saving) == (8000, 2500)
        assert miss.message_en == "Spend 80.00 more to save 25.00"

    def test_far_away_tiers_are_not_near_misses(self) -> None:
        tiers = [{"min_spend": 10000, "amount_off": 1500}]
        result = pricer(promo("t", "spend_threshold", tiers=tiers)).price(
            [BasketLine("1", "A", 1, 3000)], ctx()
        )
        assert result.near_misses == ()

    def test_ranked_by_saving_then_priority_then_id(self) -> None:
        promos = [
            promo("small", "spend_threshold", tiers=[{"min_spend": 5000, "amount_off": 100}]),
            promo("zbig", "spend_threshold", tiers=[{"min_spend": 5000, "amount_off": 900}]),
            promo("abig", "spend_threshold", tiers=[{"min_spend": 5000, "amount_off": 900}]),
            promo(
                "top", "spend_threshold", tiers=[{"min_spend": 5000, "amount_off": 900}], priority=5
            ),
        ]
        result = pricer(*promos).price([BasketLine("1", "A", 1, 4000)], ctx())
        assert [m.promotion_id for m in result.near_misses] == ["top", "abig", "zbig", "small"]

    def test_the_number_reported_is_bounded(self) -> None:
        promos = [
            promo(f"t{i}", "spend_threshold", tiers=[{"min_spend": 5000, "amount_off": 100 + i}])
            for i in range(9)
        ]
        result = pricer(*promos, max_near_misses=3).price([BasketLine("1", "A", 1, 4000)], ctx())
        assert [m.promotion_id for m in result.near_misses] == ["t8", "t7", "t6"]


def test_a_promotion_naming_unknown_skus_is_kept_reported_and_inert() -> None:
    promos = [
        promo("ok", "percent_off", items={"skus": ["A"]}, percent_off=10),
        promo("new", "percent_off", items={"skus": ["A", "NEW1"]}, percent_off=50),
    ]
    lines = [BasketLine("1", "A", 1, 1000)]
    before = pricer(*promos, known_skus=frozenset({"A"}))
    assert before.unknown_skus == {"new": ["NEW1"]}
    assert before.price(lines, ctx()).total_discount == 100
    after = pricer(*promos, known_skus=frozenset({"A", "NEW1"}))
    assert after.unknown_skus == {}
    assert after.price(lines, ctx()).total_discount == 500


def test_every_discount_names_its_promotion_and_lines() -> None:
    p = pricer(promo("mm", "mix_and_match", items={"categories": ["snack"]}, quantity=2, price=500))
    result = p.price(
        [
            BasketLine("x", "chips", 1, 400, category="snack"),
            BasketLine("y", "nuts", 1, 600, category="snack"),
        ],
        ctx(),
    )
    (discount,) = result.discounts
    assert (discount.promotion_id, discount.name_en, discount.name_zh) == ("mm", "mm en", "mm 中")
    assert dict(discount.lines) == {"x": 200, "y": 300}
    assert discount.applications == 1
    assert result.subtotal == 1000 and result.total == 500


def test_incremental_repricing_solves_only_the_changed_component(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    promos = [
        promo("b2g1", "buy_x_get_y", items={"skus": ["cola"]}, buy_quantity=2),
        promo("c10", "percent_off", items={"skus": ["cola"]}, percent_off=10),
        promo("mm", "mix_and_match", items={"skus": ["chips", "nuts"]}, quantity=2, price=500),
        promo("n5", "percent_off", items={"skus": ["nuts"]}, percent_off=5),
    ]
    p = pricer(*promos)
    solved: list[int] = []
    original = search_module.Component.solve

    def counting(self: search_module.Component) -> search_module.Choice:
        solved.append(len(self.items))
        return original(self)

    monkeypatch.setattr(search_module.Component, "solve", counting)
    basket = [
        BasketLine("1", "cola", 3, 300),
        BasketLine("2", "chips", 1, 400),
        BasketLine("3", "nuts", 1, 600),
    ]
    first = p.price(basket, ctx())
    assert len(solved) == 2  # the cola component and the snack component
    again = p.price(basket, ctx())
    assert again == first and len(solved) == 2  # nothing changed: nothing re-solved
    p.price([*basket, BasketLine("4", "cola", 1, 300)], ctx())
    assert len(solved) == 3  # a cola scanned: only the cola component is solved again


def test_big_components_use_the_bounded_search_deterministically() -> None:
    promos = [
        promo("mm2", "mix_and_match", items={"categories": ["snack"]}, quantity=2, price=500),
        promo("mm3", "mix_and_match", items={"categories": ["snack"]}, quantity=3, price=700),
        promo("c3", "cheapest_free", items={"categories": ["snack"]}, quantity=3),
        promo("p10", "percent_off", items={"categories": ["snack"]}, percent_off=10),
    ]
    lines = [
        BasketLine(f"L{i}", f"S{i}", 1 + i % 3, 300 + 70 * i, category="snack") for i in range(8)
    ]
    result = pricer(*promos).price(lines, ctx())
    assert result.method == "bounded"
    assert result == pricer(*promos).price(list(reversed(lines)), ctx())
    for single in promos:  # never worse than any promotion alone
        assert pricer(single).price(lines, ctx()).total_discount <= result.total_discount


def test_the_method_is_bounded_when_an_exact_promotion_alone_beats_a_bounded_combination() -> None:
    # the combination's snack component is past the exact search; a 90 % staff discount alone
    # (a per-unit promotion, priced exactly) beats it — the choice still rested on the bounded
    # search, so the result says "bounded", as it does when the combination wins
    group_promos = [
        promo("mm2", "mix_and_match", items={"categories": ["snack"]}, quantity=2, price=500),
        promo("mm3", "mix_and_match", items={"categories": ["snack"]}, quantity=3, price=700),
        promo("c3", "cheapest_free", items={"categories": ["snack"]}, quantity=3),
    ]
    staff = promo("staff", "percent_off", items={"all": True}, percent_off=90, stacking="exclusive")
    lines = [
        BasketLine(f"L{i}", f"S{i}", 1 + i % 3, 300 + 70 * i, category="snack") for i in range(8)
    ]
    assert pricer(*group_promos).price(lines, ctx()).method == "bounded"
    assert pricer(staff).price(lines, ctx()).method == "exact"
    result = pricer(*group_promos, staff).price(lines, ctx())
    assert [d.promotion_id for d in result.discounts] == ["staff"]
    assert result.method == "bounded"
    assert result == pricer(*group_promos, staff).price(list(reversed(lines)), ctx())


def test_the_exact_search_beats_greedy_on_a_small_trap(monkeypatch: pytest.MonkeyPatch) -> None:
    # buy 1 get 1 free on cola, 60 % off cola: greedy by saving per unit takes 60 % on both
    # (2 x 0.60 = 1.20 of 2.00); the best is b1g1 on the pair (1.00) ... no: 1.20 > 1.00.
    # With 3 colas: 60 % on all = 1.80; b1g1 on two + 60 % on one = 1.00 + 0.60 = 1.60.
    promos = [
        promo("b1g1", "buy_x_get_y", items={"skus": ["cola"]}, buy_quantity=1),
        promo("p60", "percent_off", items={"skus": ["cola"]}, percent_off=60),
    ]
    result = pricer(*promos).price([BasketLine("1", "cola", 3, 100)], ctx())
    assert result.method == "exact"
    assert {d.promotion_id: d.amount for d in result.discounts} == {"p60": 180}


def test_priority_resolution_with_an_exclusive_on_top() -> None:
    promos = [
        promo(
            "staff",
            "percent_off",
            items={"all": True},
            percent_off=5,
            stacking="exclusive",
            priority=9,
        ),
        promo("p20", "percent_off", items={"skus": ["A"]}, percent_off=20),
    ]
    bundle = load_bundle({"version": 1, "resolution": "priority", "promotions": promos})
    result = Pricer(bundle).price([BasketLine("1", "A", 1, 1000)], ctx())
    assert result.method == "priority"
    assert {d.promotion_id: d.amount for d in result.discounts} == {"staff": 50}


def test_an_overridden_promotion_still_applies_when_its_overrider_does_not_qualify() -> None:
    promos = [
        promo("flyer", "percent_off", items={"skus": ["B"]}, percent_off=10, overrides=["clear"]),
        promo("clear", "percent_off", items={"skus": ["A"]}, percent_off=50),
    ]
    result = pricer(*promos).price([BasketLine("1", "A", 1, 1000)], ctx())
    assert {d.promotion_id: d.amount for d in result.discounts} == {"clear": 500}


def test_weighed_lines_round_half_up() -> None:
    line = BasketLine("1", "ham", 333, 1999, weighed=True)  # 333 g x 19.99/kg = 6.65667 -> 6.66
    assert line.amount == 666
    result = pricer(promo("p", "percent_off", items={"skus": ["ham"]}, percent_off=15)).price(
        [line], ctx()
    )
    assert result.line_discounts == {"1": 100}  # 15 % of 6.66 = 0.999 -> 1.00


def test_basket_and_context_inputs_are_checked() -> None:
    p = pricer(promo("p", "percent_off", items={"skus": ["A"]}, percent_off=10))
    with pytest.raises(InvalidInput, match="appears twice"):
        p.price([BasketLine("1", "A", 1, 100), BasketLine("1", "B", 1, 100)], ctx())
    with pytest.raises(InvalidInput, match="quantity"):
        BasketLine("1", "A", 0, 100)
    with pytest.raises(InvalidInput, match="unit_price"):
        BasketLine("1", "A", 1, 1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="timezone"):
        PricingContext(at=dt.datetime(2024, 5, 6, 10, 30), store_id="S1")


def test_an_empty_basket_prices_to_nothing() -> None:
    result = pricer(
        promo("t", "spend_threshold", tiers=[{"min_spend": 100, "amount_off": 10}])
    ).price([], ctx())
    assert (result.total_discount, result.discounts, result.line_discounts) == (0, (), {})


@given(
    st.lists(st.integers(0, 5000) | st.sampled_from((0, 1, 7)), min_size=1, max_size=40),
    st.integers(1, 10**6),
)
def test_a_threshold_splits_by_headroom_exactly_as_the_money_rule_does(
    room: list[int], amount: int
) -> None:
    if sum(room):
        amount = 1 + amount % sum(room)
    assert split_by_headroom(amount, room) == tuple(allocate_proportionally(amount, room))


def _first_best_disjoint(savings: list[int], sets: list[frozenset[int]]) -> list[int]:
    """The disjoint sets saving most, the first such found taking a set before leaving it out
    (the plain search, without bounds or memo)."""
    best: tuple[int, list[int]] = (0, [])

    def walk(i: int, used: frozenset[int], picked: list[int], total: int) -> None:
        nonlocal best
        if total > best[0]:
            best = (total, list(picked))
        if i == len(savings):
            return
        if not used & sets[i]:
            walk(i + 1, used | sets[i], [*picked, i], total + savings[i])
        walk(i + 1, used, picked, total)

    walk(0, frozenset(), [], 0)
    return best[1]


@given(
    st.lists(
        st.tuples(st.sampled_from((50, 100, 100, 250)), st.sets(st.integers(0, 7), min_size=1)),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.integers(0, 7), max_size=3),
)
def test_competing_thresholds_remembered_choose_what_the_plain_search_chooses(
    found: list[tuple[int, set[int]]], moved: list[int]
) -> None:
    """The exact choice among competing thresholds, remembered by their savings and overlaps,
    is the plain search's, before and after a scan moves lines between them (another basket
    with the same shape gets the same positions, its own candidates)."""
    rule = pricer(
        promo("t1", "spend_threshold", tiers=[{"min_spend": 100, "amount_off": 1}])
    ).rules[0]
    known: Memo[tuple[int, ...]] = Memo(4)
    for scan in range(len(moved) + 1):
        if scan:  # a scan: one line joins the first threshold's set
            found[0][1].add(moved[scan - 1])
        candidates: list[Candidate] = [(rule, saving, sorted(lines)) for saving, lines in found]
        for _ in range(2):  # the second time from the memo
            chosen = _choose_disjoint(candidates, False, known)
            sets = [frozenset(c[2]) for c in candidates]
            expected = _first_best_disjoint([c[1] for c in candidates], sets)
            assert chosen == [candidates[i] for i in expected]
