"""The pricer: indexes a bundle once, then prices baskets against only the candidate promotions.

Choosing what applies (`resolution: best_for_customer`, the default):
1. Live promotions: in a window, at this store, for this member tier, coupon presented and
   within its limits, no unknown SKUs; a promotion *qualifies* when alone it would save.
2. `overrides`: a qualifying promotion drops the qualifying promotions it overrides
   (walked in topological order, so an overridden promotion overrides nothing).
3. The combination of every non-exclusive promotion (`pipeline.run`) is compared with each
   exclusive promotion alone, and with each promotion alone that would save more than the
   combination (thresholds; group promotions when the combination's search was bounded);
   the most saving wins; ties keep the combination, then priority, then id. The result's
   `method` is "bounded" when the combination's search or the winner's was bounded.
`resolution: priority` walks promotions by priority instead: each takes what is left, and
an exclusive promotion applies (alone) only when it is the highest-priority one qualifying.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from operator import attrgetter
from typing import NamedTuple

from pos.errors import InvalidInput
from pos.promotions.alone import AloneSavings
from pos.promotions.basket import BasketLine, PricingContext, PricingResult
from pos.promotions.bundle import PromotionBundle
from pos.promotions.coupons import CouponCheck
from pos.promotions.index import CandidateIndex, LineKey
from pos.promotions.memo import Learned
from pos.promotions.model import SpendThreshold
from pos.promotions.near_miss import find_near_misses
from pos.promotions.pipeline import Basket, Outcome, run
from pos.promotions.result import build_result, label
from pos.promotions.rules import Item, Moment, Rule, compile_rule, group_shape
from pos.promotions.thresholds import most_saving

# A line's live candidates at one pricing: per-unit rules, those of them that compete (not
# stackable), both in priority order, and group and threshold rules with part masks. Plain
# tuples of ints: the cyclic collector untracks them (it keeps walking named tuples).
LiveLine = tuple[tuple[int, ...], tuple[int, ...], tuple[tuple[int, int], ...]]


class LiveState(NamedTuple):
    """What is live for one minute, store, member tier and coupon state."""

    rules: dict[int, bool]  # minute-aligned rules
    lines: dict[LineKey, LiveLine]  # lines whose rules are all minute-aligned


KnownSkus = Callable[[str], bool] | frozenset[str]
LIVE_CACHE_SIZE = 16
MEMO_SIZE = 1024  # plain-int answers per memo generation: a few hundred per basket
# discounts given, kept to be given again as the same objects (pos.tax.DiscountParts then
# finds what it made of them): enough for every lane's cart of a big store, ~80 discounts a
# 100-line cart. At 512 (1,024 kept), 20 lanes of 100-line carts scanning in turn found none
# of their last discounts again, and each scan rebuilt ~330 shares (0.9 ms)
DISCOUNTS_SIZE = 4096


class Pricer:
    """Prices baskets against one bundle; build a new one when the bundle or catalog changes.

    Incremental re-pricing: one long-lived pricer serves every lane and keeps what pricings
    learn, keyed by exactly what it depends on — candidates per line kind (`index`), what is
    live per minute and coupon state, solved components by their lines and rules — so a
    re-pricing after a scan re-solves at most the component the scanned line joins, and the
    rest is linear in the lines (docs/promotions.md, "Incremental re-pricing").
    """

    def __init__(
        self,
        bundle: PromotionBundle,
        known_skus: KnownSkus | None = None,
        *,
        max_near_misses: int = 5,
        cache_size: int = 1024,
    ) -> None:
        self.bundle = bundle
        self.rules = tuple(compile_rule(i, p) for i, p in enumerate(bundle.promotions))
        self.unknown_skus = bundle.unknown_skus(known_skus) if known_skus is not None else {}
        self.inert = frozenset(self.unknown_skus)
        self.max_near_misses = max_near_misses
        self.by_priority = bundle.resolution == "priority"
        self._basket_wide: list[int] = []
        self._wide_by_code: dict[str, int] = {}  # basket-wide coupon rules: checked when presented
        for rule in self.rules:
            if rule.parts or rule.id in self.inert:
                continue
            if rule.promotion.coupon is not None:
                self._wide_by_code[rule.promotion.coupon.code.upper()] = rule.index
            else:
                self._basket_wide.append(rule.index)
        self.coupons = CouponCheck(self.rules, self.inert)
        self._overriders = _overriders(self.rules)
        self._override_order = _topological(self.rules)
        self._learned = Learned.sized(cache_size // 2, MEMO_SIZE, DISCOUNTS_SIZE)
        # liveness of minute-aligned rules, per (minute, store, tier, coupons): re-scans skip it
        self._live_by_minute: dict[tuple[object, ...], LiveState] = {}
        self._labels = [label(rule) for rule in self.rules]
        self._position = [0] * len(self.rules)  # rule index -> its place in priority order
        for place, rule in enumerate(sorted(self.rules, key=lambda r: r.rank)):
            self._position[rule.index] = place
        self.index = CandidateIndex(self.rules, self.inert, self._position)
        self._group_sizes = [group_shape(r)[0] if r.kind == "group" else 1 for r in self.rules]
        # what a threshold can save at most, whatever the spend: most never beat a combination
        self._ceiling = [
            most_saving(rule.promotion) if isinstance(rule.promotion, SpendThreshold) else None
            for rule in self.rules
        ]

    def price(self, lines: Sequence[BasketLine], ctx: PricingContext) -> PricingResult:
        """Price a basket: the discounts, line by line, with near misses and refused coupons."""
        if len(set(map(_line_id, lines))) != len(lines):
            raise InvalidInput(f"line_id {_repeated(lines)!r} appears twice in the basket")
        ordered = _in_canonical_order(lines)
        moment = Moment.of(ctx)
        basket = self._basket(ordered, ctx, moment)
        items = basket.items
        alone = AloneSavings(basket, self.by_priority, self._learned)
        # only rules tied by `overrides` need to know whether they qualify before choosing
        kept: set[int] = set()
        overridden: set[int] = set()
        for index in self._override_order:
            if index in basket.lines_of and alone.qualifies(self.rules[index]):
                if any(o in kept for o in self._overriders.get(index, ())):
                    overridden.add(index)
                else:
                    kept.add(index)
        position = self._position
        chosen = [
            self.rules[i]
            for i in sorted(basket.lines_of, key=position.__getitem__)
            if i not in overridden
        ]
        best = self._choose(basket, chosen, alone)
        near = find_near_misses(
            [r for r in chosen if r.kind != "unit"],
            items,
            basket.masks,
            basket.lines_of,
            best.spend_net,
            best.spends,
            self.max_near_misses,
            self._learned.near_misses,
            self._learned.notes,
            len(self.rules),
        )
        rejected = self.coupons.rejections(ctx, moment, alone.qualifies, set(best.per_rule))
        return build_result(
            self._labels, position, items, best, near, rejected, self._learned.discounts
        )

    def _live_line(
        self, key: LineKey, line: BasketLine, live: Callable[[int], bool], state: LiveState
    ) -> LiveLine:
        """A line's live candidates; kept in `state` when they cannot change within the minute."""
        candidates, others, aligned = self.index.facts(key, line)
        # the candidates' own tuples when nothing is filtered out: kept for the minute, each
        # tuple is one more object for the cyclic collector to count
        units = tuple(index for index in candidates if live(index))
        if len(units) == len(candidates):
            units = candidates
        competing = tuple(i for i in units if self.rules[i].stacking != "stackable")
        if len(competing) == len(units):
            competing = units
        live_others = tuple(o for o in others if live(o[0]))
        found = (units, competing, others if len(live_others) == len(others) else live_others)
        if aligned:
            state.lines[key] = found
        return found

    def _liveness(self, ctx: PricingContext, moment: Moment) -> LiveState:
        """Liveness (coupons included) of minute-aligned rules and of lines whose rules all
        are, shared by every pricing in the same minute, store, tier and coupon state."""
        key = (moment.minute_key(ctx), self.coupons.state(ctx))
        found = self._live_by_minute.get(key)
        if found is None:
            if len(self._live_by_minute) >= LIVE_CACHE_SIZE:
                self._live_by_minute.clear()  # one call: safe with lanes pricing in threads
            found = self._live_by_minute[key] = LiveState({}, {})
        return found

    def _basket(self, ordered: list[BasketLine], ctx: PricingContext, moment: Moment) -> Basket:
        presented = self.coupons.presented(ctx)
        state = self._liveness(ctx, moment)
        shared = state.rules
        memo: dict[int, bool] = {}

        def live(index: int) -> bool:
            found = shared.get(index)
            if found is None:
                found = memo.get(index)
                if found is None:
                    rule = self.rules[index]
                    found = rule.is_live(ctx, moment) and self.coupons.usable(rule, ctx, presented)
                    (shared if rule.minute_aligned else memo)[index] = found
            return found

        basket = Basket([], self.rules, [], {}, {}, self._group_sizes)
        items, masks, unit_rules = basket.items, basket.masks, basket.unit_rules
        lines_of: defaultdict[int, list[int]] = defaultdict(list)
        known_lines = state.lines
        for i, line in enumerate(ordered):
            key = (line.sku, line.category, line.brand, line.weighed)  # `line_key`, inlined
            found = known_lines.get(key)
            if found is None:
                found = self._live_line(key, line, live, state)
            units, competing, others = found
            items.append(Item.of(i, line))
            unit_rules.append(competing)
            for index in units:
                lines_of[index].append(i)
            for index, mask in others:
                lines_of[index].append(i)
                if mask:
                    masks[index, i] = mask
            if competing:
                basket.competing_units.update(competing)
        basket.lines_of = dict(lines_of)
        if items:
            wide = self._basket_wide + [
                self._wide_by_code[c] for c in presented if c in self._wide_by_code
            ]
            for index in wide:
                if live(index):
                    basket.lines_of[index] = list(range(len(items)))
        return basket

    def _choose(self, basket: Basket, rules: list[Rule], alone: AloneSavings) -> Outcome:
        """The combination, or a promotion alone (exclusive, or saving more on its own)."""
        if self.by_priority:
            top = next((rule for rule in rules if alone.qualifies(rule)), None)
            if top is not None and top.stacking == "exclusive":
                return alone.outcome(top)
            return run(basket, [r for r in rules if r.stacking != "exclusive"], True, self._learned)
        combined = run(
            basket, [r for r in rules if r.stacking != "exclusive"], False, self._learned
        )
        best = combined
        ceiling = self._ceiling
        for rule in rules:
            # asked of the combination, never of a promotion alone that beat it so far: an
            # exclusive one's exact method says nothing of a bounded search's group rules
            if self._may_beat_the_combination(rule, combined):
                most = ceiling[rule.index]
                if most is not None and most <= best.saving:
                    continue  # alone it saves at most that, at any spend: it cannot beat `best`
                better = alone.beats(rule, best.saving)
                if better is not None:
                    best = better
        if combined.method == "bounded" and best.method != "bounded":
            # the choice rested on the combination's bounded search, whichever candidate won;
            # a copy: a promotion's outcome alone is kept for the rest of the pricing
            best = replace(best, method="bounded")
        return best

    @staticmethod
    def _may_beat_the_combination(rule: Rule, combined: Outcome) -> bool:
        """Whether a rule alone could save more than the combination, which it is part of.

        A per-unit rule cannot: each unit got the best per-unit rule or a choice worth more,
        and stackable rules and thresholds after it only add. A group rule cannot when its
        component was searched exactly (the split giving it every unit was among those tried).
        Thresholds can (item promotions lower the spend they see); exclusive rules were left
        out of the combination.
        """
        if rule.stacking == "exclusive" or rule.kind == "threshold":
            return True
        return rule.kind == "group" and combined.method == "bounded"


_canonical = attrgetter("sku", "line_id")  # a basket's canonical line order
_sku = attrgetter("sku")
_line_id = attrgetter("line_id")


def _in_canonical_order(lines: Sequence[BasketLine]) -> list[BasketLine]:
    """Lines by (sku, line_id): by SKU alone when no SKU repeats (no key tuples to make)."""
    if len(set(map(_sku, lines))) == len(lines):
        return sorted(lines, key=_sku)
    return sorted(lines, key=_canonical)


def _repeated(lines: Sequence[BasketLine]) -> str:
    seen: set[str] = set()
    for line in lines:
        if line.line_id in seen:
            return line.line_id
        seen.add(line.line_id)
    return ""


def _overriders(rules: Sequence[Rule]) -> dict[int, tuple[int, ...]]:
    index_of = {rule.id: rule.index for rule in rules}
    found: dict[int, list[int]] = {}
    for rule in rules:
        for target in rule.promotion.overrides:
            found.setdefault(index_of[target], []).append(rule.index)
    return {target: tuple(sorted(by)) for target, by in found.items()}


def _topological(rules: Sequence[Rule]) -> list[int]:
    """Rules with every overrider before what it overrides (the bundle guarantees no cycle)."""
    index_of = {rule.id: rule.index for rule in rules}
    tied = {index_of[t] for rule in rules for t in rule.promotion.overrides}
    rules = [rule for rule in rules if rule.promotion.overrides or rule.index in tied]
    by_index = {rule.index: rule for rule in rules}
    pending = {rule.index: 0 for rule in rules}
    for rule in rules:
        for target in rule.promotion.overrides:
            pending[index_of[target]] += 1
    ready = sorted((r for r in rules if pending[r.index] == 0), key=lambda r: r.rank, reverse=True)
    order: list[int] = []
    while ready:
        rule = ready.pop()
        order.append(rule.index)
        for target in rule.promotion.overrides:
            pending[index_of[target]] -= 1
            if pending[index_of[target]] == 0:
                ready.append(by_index[index_of[target]])
                ready.sort(key=lambda r: r.rank, reverse=True)
    return order
