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
from pos.promotions.basket import BasketLine, NearMiss
from pos.promotions.groups import Unit, applications, sort_units
from pos.promotions.memo import Memo
from pos.promotions.model import BundlePrice, BuyXGetY, SpendThreshold
from pos.promotions.rules import Item, Rule, group_shape
from pos.promotions.thresholds import next_tier

MAX_MISSING_UNITS = 2
MAX_MISSING_SHARE = 50  # percent of the next tier's minimum spend


# What a near miss says, in plain ints (kept by the pricer's memo, which the cyclic collector
# then leaves alone): potential saving, units missing, spend missing; NO_GAP when none.
Gap = tuple[int, int, int]
NO_GAP: Gap = (0, 0, 0)


def _group_gap(
    rule: Rule, items: Sequence[Item], lines: Sequence[int], masks: Mapping[tuple[int, int], int]
) -> Gap:
    promotion = rule.promotion
    if isinstance(promotion, BundlePrice) or (
        isinstance(promotion, BuyXGetY) and promotion.get_items
    ):
        return NO_GAP
    size, limit = group_shape(rule)
    eligible = [item for item in (items[i] for i in lines) if masks.get((rule.index, item.index))]
    count = sum(item.units for item in eligible)
    started = count % size
    missing = size - started
    if not started or missing > MAX_MISSING_UNITS or (limit is not None and count // size >= limit):
        return NO_GAP
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
    return (saving, missing, 0) if saving > 0 else NO_GAP


def _spend_gap(rule: Rule, spend: int) -> Gap:
    promotion = rule.promotion
    assert isinstance(promotion, SpendThreshold)
    step = next_tier(promotion, spend) if spend > 0 else None
    if step is None:
        return NO_GAP
    missing, saving = step
    if saving <= 0 or missing * 100 > (spend + missing) * MAX_MISSING_SHARE:
        return NO_GAP
    return saving, 0, missing


def _near_miss(rule: Rule, gap: Gap) -> NearMiss:
    promotion = rule.promotion
    saving, units, spend = gap
    amount = format_minor(saving)
    if units:
        english, chinese = f"Add {units} more to save {amount}", f"再买{units}件，可省{amount}元"
    else:
        more = format_minor(spend)
        english, chinese = f"Spend {more} more to save {amount}", f"再买{more}元，可省{amount}元"
    return NearMiss(
        rule.id,
        promotion.name_en,
        promotion.display_name_zh,
        english,
        chinese,
        saving,
        missing_quantity=units,
        missing_spend=spend,
    )


def find_near_misses(
    rules: Sequence[Rule],
    items: Sequence[Item],
    masks: Mapping[tuple[int, int], int],
    lines_of: Mapping[int, Sequence[int]],
    spend_net: Sequence[int],
    spends: Mapping[int, int],
    limit: int,
    known: Memo[Gap],
    notes: Memo[NearMiss],
    rule_count: int,
) -> tuple[NearMiss, ...]:
    """The best `limit` near misses among live rules, ranked by saving, priority, id.

    A group rule's gap depends only on what its lines are (their order, not their place in
    the basket), a threshold's on its spend: `known` keeps both by exactly that, and `notes`
    the near miss made of a gap (its messages are formatted once). `rule_count` is the
    bundle's number of rules (rule indices are below it).
    """
    found: list[tuple[Gap, Rule]] = []
    for rule in rules:
        lines = lines_of.get(rule.index, ())
        if rule.kind == "group":
            key = (rule.index, tuple([_what_counts(items[i].line) for i in lines]))
            gap = known.get(key)
            if gap is None:
                gap = _group_gap(rule, items, lines, masks)
                known.put(key, gap)
        elif rule.kind == "threshold":
            spend = spends.get(rule.index)  # measured by the pricing on `spend_net` already
            if spend is None:
                spend = sum(map(spend_net.__getitem__, lines))
            # (rule, spend) as one int: a spend is new at most scans, and an int key is
            # nothing the cyclic collector counts (a tuple is)
            spend_key = spend * rule_count + rule.index
            gap = known.get(spend_key)
            if gap is None:
                gap = _spend_gap(rule, spend)
                known.put(spend_key, gap)
        else:
            continue
        if gap[0] > 0:
            found.append((gap, rule))
    found.sort(key=lambda pair: (-pair[0][0], pair[1].rank))
    made: list[NearMiss] = []
    for gap, rule in found[:limit]:
        note = notes.get((rule.index, gap))
        if note is None:
            note = _near_miss(rule, gap)
            notes.put((rule.index, gap), note)
        made.append(note)
    return tuple(made)


def _what_counts(line: BasketLine) -> tuple[object, ...]:
    """Everything about a line a group rule's gap depends on (its id does not count)."""
    return (
        line.sku,
        line.category,
        line.brand,
        line.weighed,
        line.quantity,
        line.unit_price,
        line.min_price,
    )
