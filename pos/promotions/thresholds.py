"""Spend thresholds: measured on what the shopper pays for the items after item promotions.

Competing thresholds never count the same line twice: the engine picks the set of
thresholds with pairwise disjoint lines that saves most (exhaustive up to
`EXACT_THRESHOLDS` candidates, greedy by saving beyond). Stackable thresholds then apply
on top, in priority order. A threshold's saving is spread over its lines in proportion to
what each line may still lose before its floor, so no line goes below its floor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pos.money import allocate_proportionally
from pos.promotions.model import SpendThreshold
from pos.promotions.rules import Rule

EXACT_THRESHOLDS = 12


def threshold_saving(promotion: SpendThreshold, spend: int) -> tuple[int, int]:
    """(saving, applications) of a threshold at `spend`."""
    tiers = promotion.tiers
    if spend < tiers[0].min_spend:
        return 0, 0
    if promotion.repeat:
        times = spend // tiers[0].min_spend
        if promotion.max_applications is not None:
            times = min(times, promotion.max_applications)
        return times * tiers[0].saving_at(spend), times
    for tier in reversed(tiers):
        if tier.min_spend <= spend:
            return tier.saving_at(spend), 1
    return 0, 0  # unreachable: the first tier was reached


def next_tier(promotion: SpendThreshold, spend: int) -> tuple[int, int] | None:
    """(missing spend, extra saving) to reach the next tier or repetition, or None."""
    now, times = threshold_saving(promotion, spend)
    if promotion.repeat:
        if promotion.max_applications is not None and times >= promotion.max_applications:
            return None
        target = (times + 1) * promotion.tiers[0].min_spend
    else:
        higher = [tier.min_spend for tier in promotion.tiers if tier.min_spend > spend]
        if not higher:
            return None
        target = higher[0]
    return target - spend, threshold_saving(promotion, target)[0] - now


def _choose_disjoint(
    candidates: list[tuple[Rule, int, frozenset[int]]], by_priority: bool
) -> list[tuple[Rule, int, frozenset[int]]]:
    if by_priority or len(candidates) > EXACT_THRESHOLDS:
        if not by_priority:
            candidates = sorted(candidates, key=lambda c: (-c[1], c[0].rank))
        chosen: list[tuple[Rule, int, frozenset[int]]] = []
        used: set[int] = set()
        for candidate in candidates:
            if not used & candidate[2]:
                chosen.append(candidate)
                used |= candidate[2]
        return chosen
    best: tuple[int, list[tuple[Rule, int, frozenset[int]]]] = (0, [])

    def walk(
        i: int, used: frozenset[int], picked: list[tuple[Rule, int, frozenset[int]]], total: int
    ) -> None:
        nonlocal best
        if total > best[0]:
            best = (total, list(picked))
        if i == len(candidates) or total + sum(c[1] for c in candidates[i:]) <= best[0]:
            return
        candidate = candidates[i]
        if not used & candidate[2]:
            picked.append(candidate)
            walk(i + 1, used | candidate[2], picked, total + candidate[1])
            picked.pop()
        walk(i + 1, used, picked, total)

    walk(0, frozenset(), [], 0)
    return best[1]


def apply_thresholds(
    rules: Sequence[Rule],
    lines_of: Mapping[int, Sequence[int]],
    net: Sequence[int],
    headroom: list[int],
    by_priority: bool,
) -> dict[int, tuple[dict[int, int], int]]:
    """Threshold discounts: rule index -> ({item index: discount}, applications).

    `net` is each item's amount after item promotions (what spend is measured on);
    `headroom` is what each item may still lose, and is reduced in place.
    """
    ordered = sorted(rules, key=lambda r: r.rank)
    result: dict[int, tuple[dict[int, int], int]] = {}

    def evaluate(rule: Rule) -> tuple[int, int]:
        assert isinstance(rule.promotion, SpendThreshold)
        return threshold_saving(rule.promotion, sum(map(net.__getitem__, lines_of[rule.index])))

    def allocate(rule: Rule, saving: int, times: int) -> None:
        lines = list(lines_of[rule.index])
        room = [headroom[i] for i in lines]
        amount = min(saving, sum(room))
        if amount <= 0:
            return
        parts = dict(zip(lines, allocate_proportionally(amount, room), strict=True))
        for i, part in parts.items():
            headroom[i] -= part
        result[rule.index] = ({i: p for i, p in parts.items() if p}, times)

    competing = []
    times_of: dict[int, int] = {}
    for rule in ordered:
        if rule.stacking != "stackable":
            saving, times_of[rule.index] = evaluate(rule)
            if saving > 0:
                competing.append((rule, saving, frozenset(lines_of[rule.index])))
    for rule, saving, _ in _choose_disjoint(competing, by_priority):
        allocate(rule, saving, times_of[rule.index])
    for rule in ordered:
        if rule.stacking == "stackable":
            saving, times = evaluate(rule)
            if saving > 0:
                allocate(rule, saving, times)
    return result
