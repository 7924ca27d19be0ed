"""Properties of pricing over random bundles and baskets (hypothesis)."""

from __future__ import annotations

import datetime as dt
import os
import random
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pos.promotions import BasketLine, Pricer, PricingContext, PricingResult, load_bundle

AT = dt.datetime(2024, 5, 6, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SKUS = ("A", "B", "C", "D", "E", "F")
CATEGORY = {"A": "c1", "B": "c1", "C": "c2", "D": "c2", "E": "c3", "F": "c3"}
BRAND = {"A": "b1", "B": "b2", "C": "b1", "D": "b2", "E": "b1", "F": "b2"}

item_sets = st.one_of(
    st.lists(st.sampled_from(SKUS), min_size=1, max_size=3, unique=True).map(lambda s: {"skus": s}),
    st.sampled_from(["c1", "c2", "c3"]).map(lambda c: {"categories": [c]}),
    st.sampled_from(["b1", "b2"]).map(lambda b: {"brands": [b]}),
    st.just({"all": True}),
)
money = st.integers(0, 3000)


@st.composite
def promotions(draw: st.DrawFn, pid: str) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "percent_off",
                "amount_off",
                "fixed_price",
                "buy_x_get_y",
                "cheapest_free",
                "mix_and_match",
                "bundle",
                "spend_threshold",
            ]
        )
    )
    base: dict[str, Any] = {
        "id": pid,
        "name_en": pid,
        "type": kind,
        "priority": draw(st.integers(0, 3)),
    }
    stackable_ok = kind in ("percent_off", "amount_off", "spend_threshold")
    base["stacking"] = draw(
        st.sampled_from(["compete", "exclusive", *(["stackable"] if stackable_ok else [])])
    )
    if kind == "percent_off":
        return {**base, "items": draw(item_sets), "percent_off": draw(st.integers(1, 99))}
    if kind == "amount_off":
        return {**base, "items": draw(item_sets), "amount_off": draw(st.integers(1, 2000))}
    if kind == "fixed_price":
        return {**base, "items": draw(item_sets), "price": draw(money)}
    if kind == "buy_x_get_y":
        extra = {"get_items": draw(item_sets)} if draw(st.booleans()) else {}
        return {
            **base,
            **extra,
            "items": draw(item_sets),
            "buy_quantity": draw(st.integers(1, 3)),
            "get_quantity": draw(st.integers(1, 2)),
            "reward_percent_off": draw(st.integers(1, 100)),
        }
    if kind == "cheapest_free":
        return {**base, "items": draw(item_sets), "quantity": draw(st.integers(2, 4))}
    if kind == "mix_and_match":
        return {
            **base,
            "items": draw(item_sets),
            "quantity": draw(st.integers(2, 4)),
            "price": draw(money),
        }
    if kind == "bundle":
        components = draw(st.lists(item_sets.map(lambda s: {"items": s}), min_size=2, max_size=3))
        return {**base, "components": components, "price": draw(money)}
    first = draw(st.integers(500, 5000))
    tiers = [{"min_spend": first, "amount_off": draw(st.integers(1, first - 1))}]
    if draw(st.booleans()):
        tiers.append({"min_spend": first * 2, "amount_off": tiers[0]["amount_off"] * 2})
    extra = {"items": draw(item_sets)} if draw(st.booleans()) else {}
    return {**base, **extra, "tiers": tiers}


@st.composite
def bundles(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 5))
    return [draw(promotions(f"p{i}")) for i in range(count)]


@st.composite
def baskets(draw: st.DrawFn) -> list[BasketLine]:
    lines = []
    for i in range(draw(st.integers(1, 6))):
        sku = draw(st.sampled_from(SKUS))
        weighed = draw(st.booleans()) and sku in ("E", "F")
        price = draw(st.integers(0, 3000))
        lines.append(
            BasketLine(
                line_id=f"L{i}",
                sku=sku,
                quantity=draw(st.integers(1, 2000)) if weighed else draw(st.integers(1, 4)),
                unit_price=price,
                category=CATEGORY[sku],
                brand=BRAND[sku],
                weighed=weighed,
                min_price=draw(st.sampled_from([0, 0, price // 2, price])),
            )
        )
    return lines


CTX = PricingContext(at=AT, store_id="S1")
# PROMOTION_EXAMPLES=5000 for a deeper run
FAST = settings(
    max_examples=int(os.environ.get("PROMOTION_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def price(promos: list[dict[str, Any]], lines: list[BasketLine]) -> PricingResult:
    return Pricer(load_bundle({"version": 1, "promotions": promos})).price(lines, CTX)


@FAST
@given(bundles(), baskets(), st.randoms(use_true_random=False))
def test_pricing_does_not_depend_on_line_order(
    promos: list[dict[str, Any]], lines: list[BasketLine], rnd: random.Random
) -> None:
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    assert price(promos, shuffled) == price(promos, lines)


@FAST
@given(bundles(), baskets())
def test_no_line_goes_below_its_floor_and_totals_add_up(
    promos: list[dict[str, Any]], lines: list[BasketLine]
) -> None:
    result = price(promos, lines)
    assert 0 <= result.total_discount <= result.subtotal
    assert result.total >= 0
    for line in lines:
        discount = result.line_discounts[line.line_id]
        assert discount >= 0
        assert line.amount - discount >= line.floor
    for applied in result.discounts:
        assert applied.amount > 0
        assert sum(applied.lines.values()) == applied.amount
    assert sum(d.amount for d in result.discounts) == result.total_discount


# An exclusive 2 % beat a combination searched by the bounded method (1,350 splits) that found
# nothing, and the group promotions alone were then not compared, as if the search had been
# exact: the mix and match alone saves 28 (L0's four units, 7 each); the floored 8s cannot.
FLOORED_MIX_AND_MATCH = (
    [
        {
            "id": "p0",
            "name_en": "p0",
            "type": "percent_off",
            "priority": 0,
            "stacking": "exclusive",
            "items": {"skus": ["A"]},
            "percent_off": 2,
        },
        {
            "id": "p1",
            "name_en": "p1",
            "type": "buy_x_get_y",
            "priority": 0,
            "stacking": "compete",
            "items": {"skus": ["A"]},
            "buy_quantity": 1,
            "get_quantity": 1,
            "reward_percent_off": 1,
        },
        {
            "id": "p2",
            "name_en": "p2",
            "type": "mix_and_match",
            "priority": 0,
            "stacking": "compete",
            "items": {"skus": ["A"]},
            "quantity": 2,
            "price": 0,
        },
    ],
    [
        BasketLine("L0", "A", 4, 7, "c1", "b1"),
        BasketLine("L1", "A", 2, 0, "c1", "b1"),
        BasketLine("L2", "A", 4, 8, "c1", "b1", min_price=8),
    ],
)

# The same question asked of the combination itself: its bounded search (2,250 splits) gives
# cheapest free only all its units, grouped dearest first — (9.00, 8.00 floored) frees
# nothing — so the exclusive 2 % (0.32) beat it; cheapest free alone pairs 9.00 with 7.00.
CHEAPEST_FREE_PAST_A_FLOOR = (
    [
        {
            "id": "a",
            "name_en": "a",
            "type": "percent_off",
            "stacking": "exclusive",
            "items": {"skus": ["A1", "A2", "A3"]},
            "percent_off": 2,
        },
        {
            "id": "c",
            "name_en": "c",
            "type": "cheapest_free",
            "items": {"skus": ["A1", "A2", "A3"]},
            "quantity": 2,
        },
        {
            "id": "m",
            "name_en": "m",
            "type": "mix_and_match",
            "items": {"all": True},
            "quantity": 2,
            "price": 100000,
        },
    ],
    [
        BasketLine("L0", "A1", 1, 900),
        BasketLine("L1", "A2", 3, 800, min_price=800),
        BasketLine("L2", "A3", 1, 700),
        BasketLine("L3", "B", 4, 100),
        BasketLine("L4", "C", 4, 100),
    ],
)


@FAST
@given(bundles(), baskets())
@example(*FLOORED_MIX_AND_MATCH)
@example(*CHEAPEST_FREE_PAST_A_FLOOR)
def test_never_worse_than_any_single_promotion_alone(
    promos: list[dict[str, Any]], lines: list[BasketLine]
) -> None:
    together = price(promos, lines).total_discount
    for promotion in promos:
        assert price([promotion], lines).total_discount <= together, promotion["id"]


@FAST
@given(bundles(), baskets())
def test_repricing_with_a_warm_cache_gives_the_same_answer(
    promos: list[dict[str, Any]], lines: list[BasketLine]
) -> None:
    pricer = Pricer(load_bundle({"version": 1, "promotions": promos}))
    first = pricer.price(lines, CTX)
    pricer.price(lines[:-1], CTX)  # a scan removed, then back
    assert pricer.price(lines, CTX) == first
