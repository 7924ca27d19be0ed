"""Re-pricing on each scan: a long-lived pricer (its caches warm from earlier baskets, times,
members and coupons) answers exactly what a fresh pricer answers for the same basket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pos.promotions import BasketLine, Pricer, PricingContext, PricingResult, load_bundle
from tests.unit.test_promotions_properties import AT, BRAND, CATEGORY, FAST, SKUS, promotions

# a window edge on a whole minute and one a few seconds into a minute, close to AT
EDGES = (AT - dt.timedelta(minutes=1), AT + dt.timedelta(minutes=1), AT + dt.timedelta(seconds=20))


@st.composite
def targeted(draw: st.DrawFn, pid: str) -> dict[str, Any]:
    """A promotion, sometimes live only from or until an edge near AT, for gold members, or
    behind a coupon code."""
    promotion = draw(promotions(pid))
    edge = draw(st.sampled_from((None, *EDGES)))
    if edge is not None:
        far = dt.timedelta(days=1)
        start, end = (edge, edge + far) if draw(st.booleans()) else (edge - far, edge)
        promotion["windows"] = [{"start": start.isoformat(), "end": end.isoformat()}]
    if draw(st.booleans()):
        promotion["member_tiers"] = ["gold"]
    if draw(st.booleans()):
        promotion["coupon"] = {"code": f"CODE-{pid}", "max_uses_per_customer": 1}
    return promotion


@st.composite
def bundles(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [draw(targeted(f"p{i}")) for i in range(draw(st.integers(1, 6)))]


# what may change between two pricings of a lane besides the basket: one thing at a time
changes = st.one_of(
    st.just({}),
    st.sampled_from((-61, -1, 0, 19, 21, 59, 61)).map(
        lambda s: {"at": AT + dt.timedelta(seconds=s)}
    ),
    st.sampled_from((None, "gold")).map(lambda tier: {"member_tier": tier}),
    st.sampled_from((None, "C1")).map(lambda customer: {"customer_id": customer}),
    st.sampled_from(((), ("CODE-p0",), ("code-p1", "CODE-p2"))).map(
        lambda codes: {"coupon_codes": codes}
    ),
    st.sampled_from(({}, {"code-p0": 1})).map(lambda used: {"customer_coupon_uses": used}),
)

scans = st.tuples(
    st.sampled_from(("scan", "scan", "again", "fewer", "void", "override")),
    st.sampled_from(SKUS),
    st.integers(0, 3000),
    st.integers(0, 10),
)


def apply_scan(lines: list[BasketLine], scan: tuple[str, str, int, int], n: int) -> None:
    """A lane's change to its basket: a new line, one more or one less of a line, a voided
    line, or a price override. E and F are weighed (grams); some lines have a floor."""
    kind, sku, price, pick = scan
    weighed = sku in ("E", "F")
    step = 250 if weighed else 1
    if kind in ("again", "fewer") and lines:
        line = lines[pick % len(lines)]
        quantity = line.quantity + step if kind == "again" else max(step, line.quantity - step)
        lines[pick % len(lines)] = replace(line, quantity=quantity)
    elif kind == "void" and lines:
        del lines[pick % len(lines)]
    elif kind == "override" and lines:  # a manager's price: the same line at another price
        lines[pick % len(lines)] = replace(lines[pick % len(lines)], unit_price=price)
    else:
        floor = (0, price // 2)[pick % 2]
        quantity = 500 + 50 * pick if weighed else 1 + pick % 3
        lines.append(
            BasketLine(f"L{n}", sku, quantity, price, CATEGORY[sku], BRAND[sku], weighed, floor)
        )


def same(result: PricingResult, expected: PricingResult) -> bool:
    """Equal, and in the same order everywhere (dicts included): `repr` shows the order."""
    return result == expected and repr(result) == repr(expected)


@FAST
@given(bundles(), st.lists(st.tuples(scans, changes), min_size=1, max_size=12))
def test_each_scan_repriced_by_a_long_lived_pricer_equals_a_fresh_pricing(
    promos: list[dict[str, Any]], steps: list[tuple[tuple[str, str, int, int], dict[str, Any]]]
) -> None:
    bundle = load_bundle({"version": 1, "promotions": promos})
    lane = Pricer(bundle)
    lines: list[BasketLine] = []
    ctx = PricingContext(at=AT, store_id="S1")
    for n, (scan, change) in enumerate(steps):
        apply_scan(lines, scan, n)
        ctx = replace(ctx, **change)
        assert same(lane.price(lines, ctx), Pricer(bundle).price(lines, ctx)), (n, scan, ctx)


@FAST
@given(
    bundles(),
    st.lists(st.tuples(st.integers(0, 2), scans), min_size=1, max_size=24),
    st.sampled_from((None, "gold")),
)
def test_lanes_sharing_one_pricer_each_get_what_a_fresh_pricer_gives(
    promos: list[dict[str, Any]],
    steps: list[tuple[int, tuple[str, str, int, int]]],
    tier: str | None,
) -> None:
    """Three lanes scan in turn into one pricer (their line ids overlap, as sale line numbers
    do): whatever another lane's pricing left behind, each lane's answer is a fresh one."""
    bundle = load_bundle({"version": 1, "promotions": promos})
    shared = Pricer(bundle)
    baskets: list[list[BasketLine]] = [[], [], []]
    contexts = [
        PricingContext(at=AT, store_id="S1"),
        PricingContext(at=AT, store_id="S1", member_tier=tier),
        PricingContext(at=AT + dt.timedelta(minutes=2), store_id="S1"),
    ]
    for n, (lane, scan) in enumerate(steps):
        apply_scan(baskets[lane], scan, n % 4)
        if len({line.line_id for line in baskets[lane]}) != len(baskets[lane]):
            baskets[lane].pop()  # the lane's next line number is taken: not a real scan
            continue
        lines, ctx = baskets[lane], contexts[lane]
        assert same(shared.price(lines, ctx), Pricer(bundle).price(lines, ctx)), (n, lane, scan)


def test_a_rule_live_until_seconds_into_a_minute_stops_within_that_minute() -> None:
    edge = (AT + dt.timedelta(seconds=20)).isoformat()
    promo = {
        "id": "p0",
        "name_en": "until 10:30:20",
        "type": "percent_off",
        "items": {"skus": ["A"]},
        "percent_off": 10,
        "windows": [{"start": "2024-05-01T00:00:00+08:00", "end": edge}],
    }
    pricer = Pricer(load_bundle({"version": 1, "promotions": [promo]}))
    lines = [BasketLine("L1", "A", 1, 1000, "c1", "b1")]
    before = pricer.price(lines, PricingContext(at=AT + dt.timedelta(seconds=19), store_id="S1"))
    after = pricer.price(lines, PricingContext(at=AT + dt.timedelta(seconds=21), store_id="S1"))
    assert (before.total_discount, after.total_discount) == (100, 0)


def test_a_coupon_taken_back_within_the_minute_no_longer_applies() -> None:
    promo = {
        "id": "p0",
        "name_en": "coupon",
        "type": "amount_off",
        "items": {"skus": ["A"]},
        "amount_off": 100,
        "coupon": {"code": "SAVE-1"},
    }
    pricer = Pricer(load_bundle({"version": 1, "promotions": [promo]}))
    lines = [BasketLine("L1", "A", 1, 1000, "c1", "b1")]
    presented = PricingContext(at=AT, store_id="S1", coupon_codes=("save-1",))
    assert pricer.price(lines, presented).total_discount == 100
    assert pricer.price(lines, replace(presented, coupon_codes=())).total_discount == 0
    used = replace(presented, coupon_uses={"SAVE-1": 1})
    assert pricer.price(lines, used).total_discount == 100
    limited = load_bundle(
        {"version": 1, "promotions": [{**promo, "coupon": {"code": "SAVE-1", "max_uses": 1}}]}
    )
    pricer = Pricer(limited)
    assert pricer.price(lines, presented).total_discount == 100
    assert pricer.price(lines, used).total_discount == 0


def _threshold(pid: str, skus: list[str] | None, tiers: list[dict[str, int]], **more: Any) -> Any:
    promo: dict[str, Any] = {"id": pid, "name_en": pid, "type": "spend_threshold", "tiers": tiers}
    if skus is not None:
        promo["items"] = {"skus": skus}
    return promo | more


def test_an_unchanged_split_is_the_same_discount_and_a_changed_one_is_priced_afresh() -> None:
    """A threshold's discount over several lines is given out again (the same object: the lane
    keeps what it made of it) while its lines do not change, and priced afresh after a scan,
    one fewer, a void or an override of one of its lines, exactly as a fresh pricer prices it."""
    promos = [
        _threshold("t1", ["A", "B"], [{"min_spend": 1000, "amount_off": 101}]),
        {
            "id": "p1",
            "name_en": "p1",
            "type": "percent_off",
            "items": {"skus": ["C"]},
            "percent_off": 10,
        },
    ]
    bundle = load_bundle({"version": 1, "promotions": promos})
    lane = Pricer(bundle)
    ctx = PricingContext(at=AT, store_id="S1")
    lines = [
        BasketLine("L1", "A", 2, 700, "c1", "b1"),
        BasketLine("L2", "B", 1, 450, "c1", "b2"),
        BasketLine("L3", "C", 1, 300, "c2", "b1"),
    ]

    def threshold_of(result: PricingResult) -> Any:
        return next(d for d in result.discounts if d.promotion_id == "t1")

    first = lane.price(lines, ctx)
    lines.append(BasketLine("L4", "C", 1, 900, "c2", "b1"))  # a scan the threshold ignores
    again = lane.price(lines, ctx)
    assert threshold_of(again) is threshold_of(first)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("scan", lambda: lines.append(BasketLine("L5", "B", 1, 1000, "c1", "b2"))),
        ("fewer", lambda: lines.__setitem__(0, replace(lines[0], quantity=1))),
        ("void", lambda: lines.pop(4)),
        ("override", lambda: lines.__setitem__(1, replace(lines[1], unit_price=350))),
    ]
    for name, change in steps:
        before = threshold_of(lane.price(lines, ctx))
        change()
        result = lane.price(lines, ctx)
        assert same(result, Pricer(bundle).price(lines, ctx)), name
        assert threshold_of(result) is not before, name
        assert threshold_of(result).lines != before.lines, name


def test_a_threshold_that_cannot_save_enough_at_any_spend_leaves_the_combination() -> None:
    """A threshold alone is compared with the combination only when it could save more at some
    spend (`most_saving`); one that could, does win, and one that could not is not asked."""
    from pos.promotions.thresholds import most_saving

    tiers = [{"min_spend": 1000, "amount_off": 100}, {"min_spend": 2000, "amount_off": 300}]
    bundle = load_bundle(
        {
            "version": 1,
            "promotions": [
                _threshold("t1", None, tiers),
                _threshold("t2", None, [{"min_spend": 1000, "percent_off": 10}]),
                _threshold("t3", None, [{"min_spend": 500, "amount_off": 50}], repeat=True),
                _threshold(
                    "t4",
                    None,
                    [{"min_spend": 500, "amount_off": 50}],
                    repeat=True,
                    max_applications=3,
                ),
            ],
        }
    )
    ceilings = [most_saving(p) for p in bundle.promotions]  # type: ignore[arg-type]
    assert ceilings == [300, None, None, 150]
    # alone, t1 saves 300 on 2,100; with 150 off the item it saves 100 (spend 1,950): 250 in
    # all, so t1 alone wins. With 400 off: 500 in all, more than t1 could ever save alone.
    for amount_off, expected in ((150, ["t1"]), (400, ["p2", "t1"])):
        promos = [
            _threshold("t1", None, tiers),
            {
                "id": "p2",
                "name_en": "p2",
                "type": "amount_off",
                "items": {"skus": ["A"]},
                "amount_off": amount_off,
            },
        ]
        bundle = load_bundle({"version": 1, "promotions": promos})
        lines = [BasketLine("L1", "A", 1, 2100, "c1", "b1")]
        result = Pricer(bundle).price(lines, PricingContext(at=AT, store_id="S1"))
        assert [d.promotion_id for d in result.discounts] == expected
        assert result.total_discount == (300 if expected == ["t1"] else 500)
