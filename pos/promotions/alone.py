"""What each promotion would save on its own: the test of qualifying, and the guard that the
chosen combination is never worse for the customer than any single promotion alone.

Per-unit promotions and spend thresholds are cheap to price alone exactly. For a group
promotion, applying it to all its units is a lower bound of what it saves alone and the
sum of what its units may lose is an upper bound; it is priced alone (`pipeline.run`)
only when the bounds cannot settle the question.
"""

from __future__ import annotations

from pos.promotions.groups import Unit, applications, sort_units
from pos.promotions.memo import Learned
from pos.promotions.model import BuyXGetY, CheapestFree, MixAndMatch
from pos.promotions.pipeline import Basket, Outcome, run
from pos.promotions.rules import Rule, unit_saving
from pos.promotions.thresholds import saving_at


class AloneSavings:
    """Per pricing: each rule's saving alone, estimated first and priced when needed."""

    def __init__(self, basket: Basket, by_priority: bool, learned: Learned) -> None:
        self.basket = basket
        self.by_priority = by_priority
        self.learned = learned
        self._low: dict[int, int] = {}
        self._outcomes: dict[int, Outcome] = {}
        self._high: dict[int, int] = {}
        self._room_of: list[int] | None = None  # made when first asked: most pricings never do
        self._amount_of: list[int] | None = None

    @property
    def _room(self) -> list[int]:
        if self._room_of is None:
            self._room_of = [item.headroom * item.units for item in self.basket.items]
        return self._room_of

    @property
    def _amount(self) -> list[int]:
        if self._amount_of is None:
            self._amount_of = [item.amount for item in self.basket.items]
        return self._amount_of

    def low(self, rule: Rule) -> int:
        """A lower bound (exact except for group rules)."""
        if rule.index not in self._low:
            self._low[rule.index] = self._estimate(rule)
        return self._low[rule.index]

    def high(self, rule: Rule) -> int:
        """An upper bound (exact except for group rules)."""
        if rule.kind != "group":
            return self.low(rule)
        if rule.index not in self._high:
            self._high[rule.index] = self._group_bound(rule)
        return self._high[rule.index]

    def _group_bound(self, rule: Rule) -> int:
        lines = self.basket.lines_of[rule.index]
        promotion = rule.promotion
        chunking = isinstance(promotion, CheapestFree | MixAndMatch) or (
            isinstance(promotion, BuyXGetY) and promotion.get_items is None
        )
        if not chunking:
            return sum(self._room[i] for i in lines)
        # grouping the dearest units is optimal without floors, and floors only lower savings
        items = self.basket.items
        if not any(items[i].unit_floor for i in lines):
            return self.low(rule)
        units: list[Unit] = []
        for i in lines:
            unit = (items[i].unit_amount, i, items[i].unit_amount, self.basket.masks[rule.index, i])
            units.extend([unit] * items[i].units)
        return sum(app.saving for app in applications(rule, sort_units(units)))

    def outcome(self, rule: Rule) -> Outcome:
        """The rule priced alone."""
        if rule.index not in self._outcomes:
            self._outcomes[rule.index] = run(self.basket, [rule], self.by_priority, self.learned)
        return self._outcomes[rule.index]

    def beats(self, rule: Rule, saving: int) -> Outcome | None:
        """The rule priced alone, when alone it saves more than `saving`."""
        if self.high(rule) <= saving or (rule.kind != "group" and self.low(rule) <= saving):
            return None
        outcome = self.outcome(rule)
        return outcome if outcome.saving > saving else None

    def qualifies(self, rule: Rule) -> bool:
        """True when the rule alone saves something on this basket."""
        if rule.index not in self.basket.lines_of:
            return False
        if self.low(rule) > 0:
            return True
        if rule.kind != "group" or self.high(rule) == 0:
            return False
        units = sum(self.basket.items[i].units for i in self.basket.lines_of[rule.index])
        return units >= self.basket.group_sizes[rule.index] and self.outcome(rule).saving > 0

    def _estimate(self, rule: Rule) -> int:
        lines = self.basket.lines_of[rule.index]
        items = self.basket.items
        if rule.kind == "unit":
            return sum(unit_saving(rule, items[i], items[i].units) for i in lines)
        if rule.kind == "threshold":
            spend = sum(map(self._amount.__getitem__, lines))
            return saving_at(rule, spend)[0]
        units: list[Unit] = []
        for i in lines:
            unit = (items[i].unit_amount, i, items[i].headroom, self.basket.masks[rule.index, i])
            units.extend([unit] * items[i].units)
        return sum(app.saving for app in applications(rule, sort_units(units)))
