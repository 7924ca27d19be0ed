"""One pricing of a basket with a chosen set of promotions, in three layers.

1. Competing item promotions (per-unit and group) share out the units — the best split
   for the customer (`search`), or strictly by priority when the bundle says so.
2. Stackable item promotions (percent or amount off) apply on top, in priority order, to
   what each line still costs.
3. Spend thresholds, measured on what the items cost after layers 1 and 2 (`thresholds`).

Every layer takes at most what a line may still lose before its floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pos.money import div_round_half_up
from pos.promotions.basket import GRAMS_PER_KG, Method
from pos.promotions.memo import Learned, Memo
from pos.promotions.model import AmountOff, PercentOff
from pos.promotions.rules import Item, Rule, unit_saving
from pos.promotions.search import Choice, Component, claim_by_priority
from pos.promotions.thresholds import apply_thresholds


@dataclass(slots=True)
class Basket:
    """One pricing's canonical items and which live rules may touch which items."""

    items: list[Item]
    rules: Sequence[Rule]  # every rule of the bundle, by index
    unit_rules: list[tuple[int, ...]]  # item index -> live competing per-unit rules, by priority
    masks: dict[tuple[int, int], int]  # (rule index, item index) -> part mask (group rules)
    lines_of: dict[int, list[int]]  # rule index -> item indices it accepts
    group_sizes: Sequence[int]  # rule index -> units one application of a group rule takes
    competing_units: set[int] = field(default_factory=set)  # every rule in `unit_rules`


@dataclass(slots=True)
class Outcome:
    saving: int = 0
    per_rule: dict[int, dict[int, int]] = field(default_factory=dict)  # rule -> item -> discount
    applications: dict[int, int] = field(default_factory=dict)
    method: Method = "exact"
    spend_net: list[int] = field(default_factory=list)  # item -> amount before thresholds
    spends: dict[int, int] = field(default_factory=dict)  # threshold -> spend on `spend_net`
    line_totals: list[int] = field(default_factory=list)  # item -> every discount on it

    def add(self, rule: int, item: int, discount: int, applications: int = 0) -> None:
        if discount:
            lines = self.per_rule.setdefault(rule, {})
            lines[item] = lines.get(item, 0) + discount
            self.saving += discount
        if applications:
            self.applications[rule] = self.applications.get(rule, 0) + applications


NO_UNIT_CHOICE = (0, -1)  # no per-unit rule saves on the line


def _components(basket: Basket, groups: Sequence[Rule]) -> list[tuple[list[Item], list[Rule]]]:
    """Items tied together by group rules (union-find), in canonical order."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rule in groups:
        lines = basket.lines_of[rule.index]
        for other in lines[1:]:
            parent[find(other)] = find(lines[0])
        find(lines[0])
    members: dict[int, tuple[list[Item], list[Rule]]] = {}
    for item in basket.items:
        if item.index in parent:
            members.setdefault(find(item.index), ([], []))[0].append(item)
    for rule in groups:
        members[find(basket.lines_of[rule.index][0])][1].append(rule)
    return list(members.values())


def _may_apply(basket: Basket, rule: Rule) -> bool:
    """A group rule needs at least one full group of units."""
    items = basket.items
    return (
        sum(items[i].units for i in basket.lines_of[rule.index]) >= basket.group_sizes[rule.index]
    )


def _stack_saving(rule: Rule, item: Item, net: int) -> int:
    promotion = rule.promotion
    if isinstance(promotion, PercentOff):
        return div_round_half_up(net * promotion.percent_off, 100)
    if isinstance(promotion, AmountOff):
        if item.line.weighed:
            return div_round_half_up(item.line.quantity * promotion.amount_off, GRAMS_PER_KG)
        return promotion.amount_off * item.units
    return 0


def run(basket: Basket, rules: Sequence[Rule], by_priority: bool, learned: Learned) -> Outcome:
    """Price the basket with exactly these (live, applicable) rules."""
    chosen = {rule.index for rule in rules}
    outcome = Outcome(method="priority" if by_priority else "exact")
    items = basket.items
    competing = [r for r in rules if r.kind != "threshold" and r.stacking != "stackable"]
    unit_rules = _chosen_unit_rules(basket, chosen)
    leftover = [item.units for item in items]
    if by_priority:
        apps, _ = claim_by_priority(items, competing, basket.masks, basket.lines_of, unit_saving)
        for rule_index, rule_apps in apps.items():
            for app in rule_apps:
                for i, part in app.parts.items():
                    outcome.add(rule_index, i, part)
            outcome.add(rule_index, 0, 0, len(rule_apps))
        leftover = [0] * len(items)
    else:
        groups = sorted(
            (r for r in competing if r.kind == "group" and _may_apply(basket, r)),
            key=lambda r: r.rank,
        )
        for comp_items, comp_rules in _components(basket, groups):
            choice = _solve(basket, comp_items, comp_rules, unit_rules, learned.components)
            if not choice.exact:
                outcome.method = "bounded"
            for rule_index, rule_apps in choice.apps.items():
                for app in rule_apps:
                    for local, part in app.parts.items():
                        outcome.add(rule_index, comp_items[local].index, part)
                outcome.add(rule_index, 0, 0, len(rule_apps))
            for local, units in choice.leftover.items():
                leftover[comp_items[local].index] = units
    # below, each (rule, item) gets one discount: plain dict writes instead of `Outcome.add`
    per_rule, counts = outcome.per_rule, outcome.applications
    known = learned.unit_choices
    for item in items:
        candidates, units = unit_rules[item.index], leftover[item.index]
        if candidates and units:
            line = item.line
            key = (candidates, units, line.quantity, line.unit_price, line.min_price, line.weighed)
            best = known.get(key)
            if best is None:
                found = _best_unit_rule(basket.rules, candidates, item, units)
                best = NO_UNIT_CHOICE if found is None else (found[0], found[1].index)
                known.put(key, best)
            saving, index = best
            if saving:
                per_rule.setdefault(index, {})[item.index] = saving
                counts[index] = counts.get(index, 0) + 1
                outcome.saving += saving
    taken = [0] * len(items)
    for lines in outcome.per_rule.values():
        for i, part in lines.items():
            taken[i] += part
    stackable = sorted(
        (r for r in rules if r.kind == "unit" and r.stacking == "stackable"), key=lambda r: r.rank
    )
    for rule in stackable:
        for i in basket.lines_of[rule.index]:
            item = items[i]
            room = item.amount - item.floor - taken[i]
            saving = min(room, _stack_saving(rule, item, item.amount - taken[i]))
            if saving > 0:
                taken[i] += saving
                per_rule.setdefault(rule.index, {})[i] = saving
                counts[rule.index] = counts.get(rule.index, 0) + 1
                outcome.saving += saving
    outcome.spend_net = [item.amount - taken[item.index] for item in items]
    thresholds = [r for r in rules if r.kind == "threshold"]
    if thresholds:
        headroom = [net - item.floor for net, item in zip(outcome.spend_net, items, strict=True)]
        before = list(headroom)
        applied = apply_thresholds(
            thresholds,
            basket.lines_of,
            outcome.spend_net,
            headroom,
            by_priority,
            learned,
            outcome.spends,
        )
        # what thresholds took of each line is what they used of its headroom
        taken = [t + b - h for t, b, h in zip(taken, before, headroom, strict=True)]
        for rule_index, (lines, times) in applied.items():
            per_rule[rule_index] = lines  # non-empty, no zero parts
            outcome.saving += sum(lines.values())
            outcome.add(rule_index, 0, 0, times)
    outcome.line_totals = taken
    return outcome


def _chosen_unit_rules(basket: Basket, chosen: set[int]) -> list[tuple[int, ...]]:
    """Each item's competing per-unit rules among `chosen` (the basket's own lists when all are)."""
    dropped = basket.competing_units - chosen
    if not dropped:
        return basket.unit_rules
    unit_rules = list(basket.unit_rules)
    for index in dropped:
        for i in basket.lines_of[index]:
            unit_rules[i] = tuple(r for r in unit_rules[i] if r not in dropped)
    return unit_rules


def _best_unit_rule(
    rules: Sequence[Rule], candidates: Sequence[int], item: Item, units: int
) -> tuple[int, Rule] | None:
    """The per-unit rule saving most on `units` units; `candidates` come in priority order, so
    a tie keeps the higher priority, then the smaller promotion id."""
    best: tuple[int, Rule] | None = None
    for index in candidates:
        rule = rules[index]
        saving = unit_saving(rule, item, units) if units else 0
        if saving > 0 and (best is None or saving > best[0]):
            best = (saving, rule)
    return best


def _solve(
    basket: Basket,
    comp_items: list[Item],
    comp_rules: list[Rule],
    unit_rules: list[tuple[int, ...]],
    cache: Memo[Choice],
) -> Choice:
    """Solve one component on local indices (0..n-1), so a cached answer fits any basket."""
    key = (
        tuple(item.line for item in comp_items),
        tuple(rule.index for rule in comp_rules),
        tuple(unit_rules[item.index] for item in comp_items),
    )
    choice = cache.get(key)
    if choice is not None:
        return choice
    local_items = [item.at(local) for local, item in enumerate(comp_items)]
    masks = {
        (rule.index, local): basket.masks[rule.index, item.index]
        for rule in comp_rules
        for local, item in enumerate(comp_items)
        if (rule.index, item.index) in basket.masks
    }
    rest_cache: dict[tuple[int, int], int] = {}

    def rest(item: Item, units: int) -> int:
        key = (item.index, units)
        if key not in rest_cache:
            candidates = unit_rules[comp_items[item.index].index]
            best = _best_unit_rule(basket.rules, candidates, item, units)
            rest_cache[key] = best[0] if best else 0
        return rest_cache[key]

    choice = Component(local_items, comp_rules, masks, rest).solve()
    cache.put(key, choice)
    return choice
