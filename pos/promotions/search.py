"""Choosing among competing promotions for the same units: exact when small, bounded beyond.

A *component* is a set of basket lines tied together by group promotions (buy X get Y,
cheapest free, mix and match, bundle) that could use units of several of them. Within a
component, every unit either goes to one group promotion or is left to the best
per-unit promotion (percent off, amount off, fixed price) of its line.

- Exact: every split of every line's units among its group promotions is tried when the
  number of splits (the product over lines of C(units + k, k), k = group promotions of
  the line) is at most `EXACT_SPLITS`; each group promotion then groups its units
  dearest first (see `groups`: optimal without floors). The best total wins; ties keep the
  first split tried, and splits are tried giving units to higher-priority promotions first.
- Bounded, beyond that: greedy — group promotions in order of their standalone gain,
  each taking an application only when it saves more than its units would save under
  their best per-unit promotion — then local improvement: up to `IMPROVEMENT_PASSES`
  passes that try each promotion moved to the front or left out, keeping any strict gain.
  The work is bounded by counts, never by a clock, so the answer is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from pos.promotions.groups import Application, Unit, applications, sort_units
from pos.promotions.model import BuyXGetY, CheapestFree, MixAndMatch
from pos.promotions.rules import Item, Rule

EXACT_SPLITS = 1024
IMPROVEMENT_PASSES = 2

RestValue = Callable[[Item, int], int]  # best per-unit saving on n units of an item


@dataclass(slots=True)
class Choice:
    """The group applications chosen in a component and what is left to per-unit promotions."""

    saving: int
    apps: dict[int, list[Application]]  # rule index -> applications
    leftover: dict[int, int]  # item index -> units no group promotion used
    exact: bool


class Component:
    """Lines tied by group promotions, with each line's eligible group rules and part masks."""

    def __init__(
        self,
        items: Sequence[Item],
        rules: Sequence[Rule],
        masks: dict[tuple[int, int], int],
        rest: RestValue,
    ) -> None:
        self.items = list(items)
        self.rules = sorted(rules, key=lambda r: r.rank)
        self.masks = masks  # (rule index, item index) -> part mask, only where eligible
        self.rest = rest
        self._apps: dict[tuple[int, tuple[tuple[int, int], ...]], list[Application]] = {}

    def eligible(self, item: Item) -> list[Rule]:
        return [r for r in self.rules if (r.index, item.index) in self.masks]

    def _grouping_is_optimal(self) -> bool:
        """One chunking rule, nothing else wants the units and no floor caps them: grouping
        the dearest units together (`groups`) is then the optimum, no search needed."""
        if len(self.rules) != 1 or any(
            it.unit_floor or self.rest(it, it.units) for it in self.items
        ):
            return False
        promotion = self.rules[0].promotion
        chunking = isinstance(promotion, CheapestFree | MixAndMatch)
        return chunking or (isinstance(promotion, BuyXGetY) and promotion.get_items is None)

    def split_count(self) -> int:
        return math.prod(
            math.comb(it.units + len(self.eligible(it)), len(self.eligible(it)))
            for it in self.items
        )

    def _applications(self, rule: Rule, counts: tuple[tuple[int, int], ...]) -> list[Application]:
        key = (rule.index, counts)
        cached = self._apps.get(key)
        if cached is None:
            by_index = {it.index: it for it in self.items}
            units: list[Unit] = []
            for index, count in counts:
                item = by_index[index]
                unit = (item.unit_amount, index, item.headroom, self.masks[rule.index, index])
                units.extend([unit] * count)
            cached = applications(rule, sort_units(units))
            self._apps[key] = cached
        return cached

    def _value(self, apps: dict[int, list[Application]]) -> tuple[int, dict[int, int]]:
        leftover = {it.index: it.units for it in self.items}
        saving = 0
        for rule_apps in apps.values():
            for app in rule_apps:
                saving += app.saving
                for index, count in app.takes.items():
                    leftover[index] -= count
        saving += sum(self.rest(it, leftover[it.index]) for it in self.items if leftover[it.index])
        return saving, leftover

    def solve(self) -> Choice:
        """The best choice: exhaustive when the splits are few, bounded otherwise."""
        if self._grouping_is_optimal():
            counts = tuple((it.index, it.units) for it in self.items)
            apps = {self.rules[0].index: self._applications(self.rules[0], counts)}
            saving, leftover = self._value(apps)
            return Choice(saving, apps, leftover, exact=True)
        if self.split_count() <= EXACT_SPLITS:
            return self._exhaustive()
        return self._bounded()

    def _exhaustive(self) -> Choice:
        per_item = [(it, self.eligible(it)) for it in self.items]
        best: Choice | None = None
        for split in _product([list(_splits(it.units, len(rules))) for it, rules in per_item]):
            assigned: dict[int, list[tuple[int, int]]] = {r.index: [] for r in self.rules}
            for (item, rules), counts in zip(per_item, split, strict=True):
                for rule, count in zip(rules, counts, strict=True):
                    if count:
                        assigned[rule.index].append((item.index, count))
            apps = {
                rule.index: self._applications(rule, tuple(assigned[rule.index]))
                for rule in self.rules
                if assigned[rule.index]
            }
            saving, leftover = self._value(apps)
            if best is None or saving > best.saving:
                best = Choice(saving, apps, leftover, exact=True)
        assert best is not None
        return best

    def _greedy(self, order: Sequence[Rule]) -> Choice:
        available = {it.index: it.units for it in self.items}
        by_index = {it.index: it for it in self.items}
        chosen: dict[int, list[Application]] = {}
        for rule in order:
            counts = tuple(
                (it.index, available[it.index])
                for it in self.items
                if available[it.index] and (rule.index, it.index) in self.masks
            )
            for app in self._applications(rule, counts) if counts else []:
                loss = sum(
                    self.rest(by_index[i], available[i]) - self.rest(by_index[i], available[i] - n)
                    for i, n in app.takes.items()
                )
                if app.saving > loss:
                    chosen.setdefault(rule.index, []).append(app)
                    for i, n in app.takes.items():
                        available[i] -= n
        saving, leftover = self._value(chosen)
        return Choice(saving, chosen, leftover, exact=False)

    def _bounded(self) -> Choice:
        alone = {r.index: self._greedy([r]).saving for r in self.rules}
        order = sorted(self.rules, key=lambda r: (-alone[r.index], r.rank))
        best = self._greedy(order)
        for _ in range(IMPROVEMENT_PASSES):
            improved = False
            for rule in list(order):
                rest = [r for r in order if r is not rule]
                for candidate in ([rule, *rest], rest):
                    choice = self._greedy(candidate)
                    if choice.saving > best.saving:
                        best, order, improved = choice, candidate, True
                        break
            if not improved:
                break
        return best


def _splits(units: int, ways: int) -> Iterator[tuple[int, ...]]:
    """Every way to give up to `units` units to `ways` promotions, most to the first first."""
    if ways == 0:
        yield ()
        return
    for first in range(units, -1, -1):
        for rest in _splits(units - first, ways - 1):
            yield (first, *rest)


def _product(options: list[list[tuple[int, ...]]]) -> Iterator[list[tuple[int, ...]]]:
    if not options:
        yield []
        return
    for head in options[0]:
        for tail in _product(options[1:]):
            yield [head, *tail]


def claim_by_priority(
    items: Sequence[Item],
    rules: Sequence[Rule],
    masks: dict[tuple[int, int], int],
    lines_of: Mapping[int, Sequence[int]],
    unit_saving: Callable[[Rule, Item, int], int],
) -> tuple[dict[int, list[Application]], dict[int, int]]:
    """Priority resolution: rules in priority order each take what they can of what is left."""
    available = {it.index: it.units for it in items}
    chosen: dict[int, list[Application]] = {}
    for rule in sorted(rules, key=lambda r: r.rank):
        eligible = [items[i] for i in lines_of[rule.index] if available[i]]
        if rule.kind == "unit":
            for item in eligible:
                saving = unit_saving(rule, item, available[item.index])
                if saving > 0:
                    app = Application(
                        saving, {item.index: available[item.index]}, {item.index: saving}
                    )
                    chosen.setdefault(rule.index, []).append(app)
                    available[item.index] = 0
            continue
        units: list[Unit] = []
        for item in eligible:
            unit = (item.unit_amount, item.index, item.headroom, masks[rule.index, item.index])
            units.extend([unit] * available[item.index])
        for app in applications(rule, sort_units(units)):
            chosen.setdefault(rule.index, []).append(app)
            for i, n in app.takes.items():
                available[i] -= n
    return chosen, available
