"""A bounded memo of pure answers, shared by every pricing of one pricer.

Re-pricing a basket after a scan asks mostly the questions the previous pricing asked (the
same threshold allocation, the same discount on the same line, the same near miss); a memo
keyed by exactly what an answer depends on gives those back without the work. Past its size
it forgets the least recently used answer, one at a time (`pos.recent`): no pricing finds it
empty, and none pays for freeing a whole generation of answers at once (a dict cleared when
full, or two generations, freed thousands of objects inside whichever scan filled it). Safe
with lanes pricing in threads.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pos.promotions.basket import AppliedDiscount, NearMiss
from pos.promotions.search import Choice
from pos.recent import Recent

Answer = TypeVar("Answer")


class Memo(Generic[Answer]):
    """Answers by key, at most `2 * size` of them (the two generations it once kept)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: Recent[Hashable, Answer] = Recent(2 * size)

    def get(self, key: Hashable) -> Answer | None:
        return self._answers.get(key)

    def put(self, key: Hashable, answer: Answer) -> None:
        self._answers.put(key, answer)


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
