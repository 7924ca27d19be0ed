"""Near misses: promotions the basket almost qualifies for, and what the shopper would save.

- Group promotions (buy X get Y from one set, cheapest free, mix and match): the basket
  has started a group and needs at most `MAX_MISSING_UNITS` more units to complete it.
  The saving assumes the shopper adds more of the cheapest matching item already in the
  basket. Bundles and buy X get Y with a separate reward set are not suggested: the
  missing item's price is not in the basket.
- Spend thresholds: the next tier (or the next repetition) is at most `MAX_MISSING_SHARE`
  percent of its minimum spend away, measured like the threshold itself: on what the
  matching items cost after item promotions.
Ranked by potential saving, then priority, then promotion id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pos.money import format_minor
from pos.promotions.basket import NearMiss
from pos.promotions.groups import Unit, applications, sort_units
from pos.promotions.model import BundlePrice, BuyXGetY, SpendThreshold
from pos.promotions.rules import Item, Rule, group_shape
from pos.promotions.thresholds import next_tier

MAX_MISSING_UNITS = 2
MAX_MISSING_SHARE = 50  # percent of the next tier's minimum spend


def _group_miss(
    rule: Rule, items: Sequence[Item], lines: Sequence[int], masks: Mapping[tuple[int, int], int]
) -> NearMiss | None:
    promotion = rule.promotion
    if isinstance(promotion, BundlePrice) or (
        isinstance(promotion, BuyXGetY) and promotion.get_items
    ):
        return None
    size, limit = group_shape(rule)
    eligible = [item for item in (items[i] for i in lines) if masks.get((rule.index, item.index))]
    count = sum(item.units for item in eligible)
    started = count % size
    missing = size - started
    if not started or missing > MAX_MISSING_UNITS or (limit is not None and count // size >= limit):
        return None
    units: list[Unit] = []
    for item in eligible:
        units.extend(
            [(item.unit_amount, item.index, item.headroom, masks[rule.index, item.index])]
            * item.units
        )
    cheapest = min(units, key=lambda u: (u[0], u[1]))
    now = sum(app.saving for app in applications(rule, sort_units(units)))
    added = sort_units(units + [(cheapest[0], len(items), cheapest[2], cheapest[3])] * missing)
    saving = sum(app.saving for app in applications(rule, added)) - now
    if saving <= 0:
        return None
    amount = format_minor(saving)
    return NearMiss(
        rule.id,
        promotion.name_en,
        promotion.display_name_zh,
        f"Add {missing} more to save {amount}",
        f"再买{missing}件，可省{amount}元",
        saving,
        missing_quantity=missing,
    )


def _spend_miss(rule: Rule, spend: int) -> NearMiss | None:
    promotion = rule.promotion
    assert isinstance(promotion, SpendThreshold)
    step = next_tier(promotion, spend) if spend > 0 else None
    if step is None:
        return None
    missing, saving = step
    if saving <= 0 or missing * 100 > (spend + missing) * MAX_MISSING_SHARE:
        return None
    more, amount = format_minor(missing), format_minor(saving)
    return NearMiss(
        rule.id,
        promotion.name_en,
        promotion.display_name_zh,
        f"Spend {more} more to save {amount}",
        f"再买{more}元，可省{amount}元",
        saving,
        missing_spend=missing,
    )


def find_near_misses(
    rules: Sequence[Rule],
    items: Sequence[Item],
    masks: Mapping[tuple[int, int], int],
    lines_of: Mapping[int, Sequence[int]],
    spend_net: Sequence[int],
    limit: int,
) -> tuple[NearMiss, ...]:
    """The best `limit` near misses among live rules, ranked by saving, priority, id."""
    found: list[tuple[NearMiss, Rule]] = []
    for rule in rules:
        if rule.kind == "group":
            miss = _group_miss(rule, items, lines_of.get(rule.index, ()), masks)
        elif rule.kind == "threshold":
            miss = _spend_miss(rule, sum(map(spend_net.__getitem__, lines_of.get(rule.index, ()))))
        else:
            miss = None
        if miss is not None:
            found.append((miss, rule))
    found.sort(key=lambda pair: (-pair[0].potential_saving, pair[1].rank))
    return tuple(miss for miss, _ in found[:limit])
