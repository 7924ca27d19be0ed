"""One pricing of a basket with a chosen set of promotions, in three layers.

1. Competing item promotions (per-unit and group) share out the units — the best split
   for the customer (`search`), or strictly by priority when the bundle says so.
2. Stackable item promotions (percent or amount off) apply on top, in priority order, to
   what each line still costs.
3. Spend thresholds, measured on what the items cost after layers 1 and 2 (`thresholds`).

Every layer takes at most what a line may still lose before its floor.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from pos.money import div_round_half_up
from pos.promotions.basket import GRAMS_PER_KG, Method
from pos.promotions.model import AmountOff, PercentOff
from pos.promotions.rules import Item, Rule, group_shape, unit_saving
from pos.promotions.search import Choice, Component, claim_by_priority
from pos.promotions.thresholds import apply_thresholds


@dataclass(slots=True)
class Basket:
    """One pricing's canonical items and which live rules may touch which items."""

    items: list[Item]
    unit_rules: dict[int, list[Rule]]  # item index -> live per-unit rules accepting it
    masks: dict[tuple[int, int], int]  # (rule index, item index) -> part mask (item rules)
    lines_of: dict[int, list[int]]  # rule index -> item indices it accepts


@dataclass(slots=True)
class Outcome:
    saving: int = 0
    per_rule: dict[int, dict[int, int]] = field(default_factory=dict)  # rule -> item -> discount
    applications: dict[int, int] = field(default_factory=dict)
    method: Method = "exact"
    spend_net: dict[int, int] = field(default_factory=dict)  # item -> amount before thresholds

    def add(self, rule: int, item: int, discount: int, applications: int = 0) -> None:
        if discount:
            lines = self.per_rule.setdefault(rule, {})
            lines[item] = lines.get(item, 0) + discount
            self.saving += discount
        if applications:
            self.applications[rule] = self.applications.get(rule, 0) + applications


class ComponentCache:
    """Solved components by (lines, rules): a re-scan re-solves only components it changed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Choice] = OrderedDict()

    def get(self, key: Hashable) -> Choice | None:
        choice = self._entries.get(key)
        if choice is not None:
            self._entries.move_to_end(key)
        return choice

    def put(self, key: Hashable, choice: Choice) -> None:
        self._entries[key] = choice
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


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
    units = sum(basket.items[i].units for i in basket.lines_of[rule.index])
    return units >= group_shape(rule)[0]


def _stack_saving(rule: Rule, item: Item, net: int) -> int:
    promotion = rule.promotion
    if isinstance(promotion, PercentOff):
        return div_round_half_up(net * promotion.percent_off, 100)
    if isinstance(promotion, AmountOff):
        if item.line.weighed:
            return div_round_half_up(item.line.quantity * promotion.amount_off, GRAMS_PER_KG)
        return promotion.amount_off * item.units
    return 0


def run(basket: Basket, rules: Sequence[Rule], by_priority: bool, cache: ComponentCache) -> Outcome:
    """Price the basket with exactly these (live, applicable) rules."""
    chosen = {rule.index for rule in rules}
    outcome = Outcome(method="priority" if by_priority else "exact")
    items = {item.index: item for item in basket.items}
    competing = [r for r in rules if r.kind != "threshold" and r.stacking != "stackable"]
    unit_rules = {
        i: [r for r in rs if r.index in chosen and r.stacking != "stackable"]
        for i, rs in basket.unit_rules.items()
    }
    leftover = {item.index: item.units for item in basket.items}
    if by_priority:
        apps, leftover = claim_by_priority(basket.items, competing, basket.masks, unit_saving)
        for rule_index, rule_apps in apps.items():
            for app in rule_apps:
                for i, part in app.parts.items():
                    outcome.add(rule_index, i, part)
            outcome.add(rule_index, 0, 0, len(rule_apps))
        leftover = dict.fromkeys(leftover, 0)
    else:
        groups = sorted(
            (r for r in competing if r.kind == "group" and _may_apply(basket, r)),
            key=lambda r: r.rank,
        )
        for comp_items, comp_rules in _components(basket, groups):
            choice = _solve(basket, comp_items, comp_rules, unit_rules, cache)
            if not choice.exact:
                outcome.method = "bounded"
            for rule_index, rule_apps in choice.apps.items():
                for app in rule_apps:
                    for local, part in app.parts.items():
                        outcome.add(rule_index, comp_items[local].index, part)
                outcome.add(rule_index, 0, 0, len(rule_apps))
            for local, units in choice.leftover.items():
                leftover[comp_items[local].index] = units
    for index, units in leftover.items():
        best = _best_unit_rule(unit_rules.get(index, []), items[index], units)
        if best is not None:
            outcome.add(best[1].index, index, best[0], 1)
    taken = dict.fromkeys(items, 0)
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
                outcome.add(rule.index, i, saving, 1)
    outcome.spend_net = {i: items[i].amount - taken[i] for i in items}
    thresholds = [r for r in rules if r.kind == "threshold"]
    if thresholds:
        headroom = {i: outcome.spend_net[i] - items[i].floor for i in items}
        applied = apply_thresholds(
            thresholds, basket.lines_of, outcome.spend_net, headroom, by_priority
        )
        for rule_index, (lines, times) in applied.items():
            for i, part in lines.items():
                outcome.add(rule_index, i, part)
            outcome.add(rule_index, 0, 0, times)
    return outcome


def _best_unit_rule(rules: Sequence[Rule], item: Item, units: int) -> tuple[int, Rule] | None:
    """The per-unit rule saving most on `units` units; `rules` come in priority order, so a
    tie keeps the higher priority, then the smaller promotion id."""
    best: tuple[int, Rule] | None = None
    for rule in rules:
        saving = unit_saving(rule, item, units) if units else 0
        if saving > 0 and (best is None or saving > best[0]):
            best = (saving, rule)
    return best


def _solve(
    basket: Basket,
    comp_items: list[Item],
    comp_rules: list[Rule],
    unit_rules: dict[int, list[Rule]],
    cache: ComponentCache,
) -> Choice:
    """Solve one component on local indices (0..n-1), so a cached answer fits any basket."""
    key = (
        tuple(item.line for item in comp_items),
        tuple(rule.index for rule in comp_rules),
        tuple(tuple(r.index for r in unit_rules.get(item.index, [])) for item in comp_items),
    )
    choice = cache.get(key)
    if choice is not None:
        return choice
    local_items = [Item.of(local, item.line) for local, item in enumerate(comp_items)]
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
            best = _best_unit_rule(unit_rules.get(comp_items[item.index].index, []), item, units)
            rest_cache[key] = best[0] if best else 0
        return rest_cache[key]

    choice = Component(local_items, comp_rules, masks, rest).solve()
    cache.put(key, choice)
    return choice
