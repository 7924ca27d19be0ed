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
from pos.promotions.memo import Learned, Memo
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
            # `tier.saving_at`, inlined: every threshold of a basket is measured on each scan
            off = tier.amount_off
            if off is None:
                return tier.saving_at(spend), 1
            return off, 1
    return 0, 0  # unreachable: the first tier was reached


def most_saving(promotion: SpendThreshold) -> int | None:
    """The most a threshold can save at any spend, or None when that grows with the spend."""
    if any(tier.amount_off is None for tier in promotion.tiers):
        return None
    if not promotion.repeat:
        return max(tier.amount_off or 0 for tier in promotion.tiers)
    if promotion.max_applications is None:
        return None
    return promotion.max_applications * (promotion.tiers[0].amount_off or 0)


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


Candidate = tuple[Rule, int, Sequence[int]]  # a threshold, its saving, its lines
# splits over more lines change with every scan (a basket-wide threshold's): not worth keeping
SHARED_SPLIT_LINES = 16


def split_by_headroom(amount: int, room: list[int]) -> tuple[int, ...]:
    """`allocate_proportionally(amount, room)` (largest remainder, ties to the earliest line),
    in passes that run in C: a basket-wide threshold splits over every line at each scan.

    For a positive amount over non-negative headroom that sums to at least `amount`; any
    other input goes to `allocate_proportionally` itself.
    """
    total = sum(room)
    if amount <= 0 or total < amount or min(room) < 0:
        return tuple(allocate_proportionally(amount, room))
    floors = [amount * w // total for w in room]
    left = amount - sum(floors)
    if left:
        behind = [-(amount * w % total) for w in room]  # sorting on it puts big remainders first
        for i in sorted(range(len(room)), key=behind.__getitem__)[:left]:  # stable: ties by line
            floors[i] += 1
    return tuple(floors)


def saving_at(rule: Rule, spend: int) -> tuple[int, int]:
    """`threshold_saving` of a threshold rule. Not remembered: a spend moves with every scan,
    and a remembered answer is two tuples the cyclic collector counts, for a few comparisons."""
    promotion = rule.promotion
    assert isinstance(promotion, SpendThreshold)
    return threshold_saving(promotion, spend)


def _choose_disjoint(
    candidates: list[Candidate], by_priority: bool, known: Memo[tuple[int, ...]]
) -> list[Candidate]:
    if by_priority or len(candidates) > EXACT_THRESHOLDS:
        if not by_priority:
            candidates = sorted(candidates, key=lambda c: (-c[1], c[0].rank))
        chosen: list[Candidate] = []
        used: set[int] = set()
        for candidate in candidates:
            if used.isdisjoint(candidate[2]):
                chosen.append(candidate)
                used.update(candidate[2])
        return chosen
    sets = [frozenset(c[2]) for c in candidates]
    # the search's answer depends only on each candidate's saving and which earlier ones share
    # a line with it (in this order): after a scan, mostly what the last search was given
    shape: list[int] = []
    for j, candidate in enumerate(candidates):
        overlaps = sum(1 << i for i in range(j) if not sets[i].isdisjoint(candidate[2]))
        shape += (candidate[1], overlaps)
    key = tuple(shape)
    found = known.get(key)
    if found is None:
        found = _search_disjoint([c[1] for c in candidates], sets)
        known.put(key, found)
    return [candidates[i] for i in found]


def _search_disjoint(savings: list[int], sets: list[frozenset[int]]) -> tuple[int, ...]:
    """Positions of the disjoint sets saving most together (exhaustive; ties: the first found,
    taking a set before leaving it out)."""
    best: tuple[int, list[int]] = (0, [])
    after = [0] * (len(savings) + 1)  # after[i]: what savings[i:] add up to
    for i in range(len(savings) - 1, -1, -1):
        after[i] = after[i + 1] + savings[i]

    def walk(i: int, used: frozenset[int], picked: list[int], total: int) -> None:
        nonlocal best
        if total > best[0]:
            best = (total, list(picked))
        if i == len(savings) or total + after[i] <= best[0]:
            return
        if not used & sets[i]:
            picked.append(i)
            walk(i + 1, used | sets[i], picked, total + savings[i])
            picked.pop()
        walk(i + 1, used, picked, total)

    walk(0, frozenset(), [], 0)
    return tuple(best[1])


def apply_thresholds(
    rules: Sequence[Rule],
    lines_of: Mapping[int, Sequence[int]],
    net: Sequence[int],
    headroom: list[int],
    by_priority: bool,
    learned: Learned,
    spends: dict[int, int],
) -> dict[int, tuple[dict[int, int], int]]:
    """Threshold discounts: rule index -> ({item index: discount}, applications).

    `net` is each item's amount after item promotions (what spend is measured on);
    `headroom` is what each item may still lose, and is reduced in place; each threshold's
    spend is written to `spends` (rule index -> spend), for its near miss.
    """
    ordered = sorted(rules, key=lambda r: r.rank)
    result: dict[int, tuple[dict[int, int], int]] = {}
    shares = learned.shares

    def evaluate(rule: Rule) -> tuple[int, int]:
        spend = spends[rule.index] = sum(map(net.__getitem__, lines_of[rule.index]))
        promotion = rule.promotion
        assert isinstance(promotion, SpendThreshold)
        return threshold_saving(promotion, spend)

    def allocate(rule: Rule, saving: int, times: int) -> None:
        lines = lines_of[rule.index]
        room = list(map(headroom.__getitem__, lines))
        amount = min(saving, sum(room))
        if amount <= 0:
            return
        small = len(room) <= SHARED_SPLIT_LINES
        key = (amount, tuple(room)) if small else None
        split = shares.get(key) if small else None
        if split is None:
            split = split_by_headroom(amount, room)
            if small:
                shares.put(key, split)
        parts: dict[int, int] = {}
        for i, part in zip(lines, split, strict=True):
            if part:
                headroom[i] -= part
                parts[i] = part
        result[rule.index] = (parts, times)

    competing: list[Candidate] = []
    times_of: dict[int, int] = {}
    for rule in ordered:
        if rule.stacking != "stackable":
            saving, times_of[rule.index] = evaluate(rule)
            if saving > 0:
                competing.append((rule, saving, lines_of[rule.index]))
    for rule, saving, _ in _choose_disjoint(competing, by_priority, learned.disjoint):
        allocate(rule, saving, times_of[rule.index])
    for rule in ordered:
        if rule.stacking == "stackable":
            saving, times = evaluate(rule)
            if saving > 0:
                allocate(rule, saving, times)
    return result
