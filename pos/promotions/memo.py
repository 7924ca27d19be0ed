"""A bounded memo of pure answers, shared by every pricing of one pricer.

Re-pricing a basket after a scan asks mostly the questions the previous pricing asked (the
same threshold allocation, the same discount on the same line, the same near miss); a memo
keyed by exactly what an answer depends on gives those back without the work. Two
generations instead of one dict cleared when full: a full memo starts a new generation and
keeps the last one readable, so no pricing finds it empty (no p99 cliff). Reads and writes
are single dict operations, safe with lanes pricing in threads.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pos.promotions.basket import AppliedDiscount, NearMiss
from pos.promotions.search import Choice

Answer = TypeVar("Answer")


class Memo(Generic[Answer]):
    """Answers by key, at most about `2 * size` of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._new: dict[Hashable, Answer] = {}
        self._old: dict[Hashable, Answer] = {}

    def get(self, key: Hashable) -> Answer | None:
        found = self._new.get(key)
        if found is None:
            found = self._old.get(key)
            if found is not None:
                self.put(key, found)
        return found

    def put(self, key: Hashable, answer: Answer) -> None:
        if len(self._new) >= self.size:
            self._old, self._new = self._new, {}
        self._new[key] = answer


@dataclass(frozen=True, slots=True)
class Learned:
    """What pricings learn that later ones reuse, each answer keyed by all it depends on."""

    components: Memo[Choice]  # (lines, rules, per-unit rules) -> the solved component
    shares: Memo[tuple[int, ...]]  # (amount, headroom of each line) -> a threshold's split
    discounts: Memo[AppliedDiscount]  # (rule, applications, line, amount) -> the discount
    near_misses: Memo[tuple[int, int, int]]  # (rule, what it depends on) -> a near miss's gap
    notes: Memo[NearMiss]  # (rule, gap) -> the near miss as the shopper reads it
    # (per-unit rules, units, the line's quantity and prices) -> (saving, rule) of the best
    unit_choices: Memo[tuple[int, int]]
    # (each competing threshold's saving and overlaps) -> positions of the disjoint best set
    disjoint: Memo[tuple[int, ...]]

    @classmethod
    def sized(cls, components: int, answers: int, discounts: int) -> Learned:
        return cls(
            Memo(components),
            Memo(answers),
            Memo(discounts),
            Memo(answers),
            Memo(discounts),
            Memo(answers),
            Memo(answers),
        )
