"""What each promotion would save on its own: the test of qualifying, and the guard that the
chosen combination is never worse for the customer than any single promotion alone.

Per-unit promotions and spend thresholds are cheap to price alone exactly. For a group
promotion, applying it to all its units is a lower bound of what it saves alone and the
sum of what its units may lose is an upper bound; it is priced alone (`pipeline.run`)
only when the bounds cannot settle the question.
"""

from __future__ import annotations

from pos.promotions.groups import Unit, applications, sort_units
from pos.promotions.model import SpendThreshold
from pos.promotions.pipeline import Basket, ComponentCache, Outcome, run
from pos.promotions.rules import Rule, unit_saving
from pos.promotions.thresholds import threshold_saving


class AloneSavings:
    """Per pricing: each rule's saving alone, estimated first and priced when needed."""

    def __init__(self, basket: Basket, by_priority: bool, cache: ComponentCache) -> None:
        self.basket = basket
        self.by_priority = by_priority
        self.cache = cache
        self._low: dict[int, int] = {}
        self._outcomes: dict[int, Outcome] = {}

    def low(self, rule: Rule) -> int:
        """A lower bound (exact except for group rules)."""
        if rule.index not in self._low:
            self._low[rule.index] = self._estimate(rule)
        return self._low[rule.index]

    def high(self, rule: Rule) -> int:
        """An upper bound (exact except for group rules)."""
        if rule.kind != "group":
            return self.low(rule)
        items = self.basket.items
        return sum(items[i].headroom * items[i].units for i in self.basket.lines_of[rule.index])

    def outcome(self, rule: Rule) -> Outcome:
        """The rule priced alone."""
        if rule.index not in self._outcomes:
            self._outcomes[rule.index] = run(self.basket, [rule], self.by_priority, self.cache)
        return self._outcomes[rule.index]

    def qualifies(self, rule: Rule) -> bool:
        """True when the rule alone saves something on this basket."""
        if self.low(rule) > 0:
            return True
        return self.high(rule) > 0 and self.outcome(rule).saving > 0

    def _estimate(self, rule: Rule) -> int:
        lines = self.basket.lines_of[rule.index]
        items = self.basket.items
        if rule.kind == "unit":
            return sum(unit_saving(rule, items[i], items[i].units) for i in lines)
        if rule.kind == "threshold":
            assert isinstance(rule.promotion, SpendThreshold)
            return threshold_saving(rule.promotion, sum(items[i].line.amount for i in lines))[0]
        units: list[Unit] = []
        for i in lines:
            unit = (items[i].unit_amount, i, items[i].headroom, self.basket.masks[rule.index, i])
            units.extend([unit] * items[i].units)
        return sum(app.saving for app in applications(rule, sort_units(units)))
