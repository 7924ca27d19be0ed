"""The pricer: indexes a bundle once, then prices baskets against only the candidate promotions.

Choosing what applies (`resolution: best_for_customer`, the default):
1. Live promotions: in a window, at this store, for this member tier, coupon presented and
   within its limits, no unknown SKUs; a promotion *qualifies* when alone it would save.
2. `overrides`: a qualifying promotion drops the qualifying promotions it overrides
   (walked in topological order, so an overridden promotion overrides nothing).
3. The combination of every non-exclusive promotion (`pipeline.run`) is compared with each
   exclusive promotion alone, and with each promotion alone that would save more than the
   combination; the most saving wins; ties keep the combination, then priority, then id.
`resolution: priority` walks promotions by priority instead: each takes what is left, and
an exclusive promotion applies (alone) only when it is the highest-priority one qualifying.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pos.errors import InvalidInput
from pos.promotions.alone import AloneSavings
from pos.promotions.basket import BasketLine, PricingContext, PricingResult
from pos.promotions.bundle import PromotionBundle
from pos.promotions.coupons import CouponCheck
from pos.promotions.near_miss import find_near_misses
from pos.promotions.pipeline import Basket, ComponentCache, Outcome, run
from pos.promotions.result import build_result
from pos.promotions.rules import Item, Moment, Rule, compile_rule

KnownSkus = Callable[[str], bool] | frozenset[str]
CANDIDATE_CACHE_SIZE = 100_000
LIVE_CACHE_SIZE = 16


class Pricer:
    """Prices baskets against one bundle; build a new one when the bundle or catalog changes.

    Incremental re-pricing: candidate promotions are looked up once per (sku, category,
    brand) and kept; solved components (lines tied by group promotions) are kept by their
    lines and rules, so re-pricing after a scan re-solves only the components the scanned
    line belongs to, and the rest is linear in the lines.
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
        self._by_key: dict[str, dict[str, set[int]]] = {"sku": {}, "category": {}, "brand": {}}
        self._everywhere: set[int] = set()
        self._basket_wide: list[int] = []
        self._wide_by_code: dict[str, int] = {}  # basket-wide coupon rules: checked when presented
        for rule in self.rules:
            if rule.id in self.inert:
                continue
            if not rule.parts and rule.promotion.coupon is not None:
                self._wide_by_code[rule.promotion.coupon.code.upper()] = rule.index
            elif not rule.parts:
                self._basket_wide.append(rule.index)
            for part in rule.parts:
                if part.everything:
                    self._everywhere.add(rule.index)
                for kind, keys in (
                    ("sku", part.skus),
                    ("category", part.categories),
                    ("brand", part.brands),
                ):
                    for key in keys:
                        self._by_key[kind].setdefault(key, set()).add(rule.index)
        self.coupons = CouponCheck(self.rules, self.inert)
        self._overriders = _overriders(self.rules)
        self._override_order = _topological(self.rules)
        self._candidates: dict[tuple[str, str, str], tuple[int, ...]] = {}
        self._components = ComponentCache(cache_size)
        # liveness of minute-aligned rules, per (minute, store, tier): re-scans skip the checks
        self._live_by_minute: dict[tuple[object, ...], dict[int, bool]] = {}

    def candidates(self, line: BasketLine) -> tuple[int, ...]:
        """Indices of the rules whose sets accept this line (cached per sku/category/brand)."""
        key = (line.sku, line.category, line.brand)
        found = self._candidates.get(key)
        if found is None:
            indices: set[int] = set()
            indices.update(self._everywhere)
            indices.update(self._by_key["sku"].get(line.sku, ()))
            if line.category:
                indices.update(self._by_key["category"].get(line.category, ()))
            if line.brand:
                indices.update(self._by_key["brand"].get(line.brand, ()))
            found = tuple(sorted(i for i in indices if self.rules[i].accepts(line)))
            if len(self._candidates) >= CANDIDATE_CACHE_SIZE:
                self._candidates.clear()
            self._candidates[key] = found
        return found

    def price(self, lines: Sequence[BasketLine], ctx: PricingContext) -> PricingResult:
        """Price a basket: the discounts, line by line, with near misses and refused coupons."""
        seen: set[str] = set()
        for line in lines:
            if line.line_id in seen:
                raise InvalidInput(f"line_id {line.line_id!r} appears twice in the basket")
            seen.add(line.line_id)
        ordered = sorted(lines, key=lambda line: (line.sku, line.line_id))
        items = [Item.of(i, line) for i, line in enumerate(ordered)]
        moment = Moment.of(ctx)
        basket = self._basket(items, ctx, moment)
        alone = AloneSavings(basket, self.by_priority, self._components)
        # only rules tied by `overrides` need to know whether they qualify before choosing
        kept: set[int] = set()
        overridden: set[int] = set()
        for index in self._override_order:
            if index in basket.lines_of and alone.qualifies(self.rules[index]):
                if any(o in kept for o in self._overriders.get(index, ())):
                    overridden.add(index)
                else:
                    kept.add(index)
        chosen = sorted(
            (self.rules[i] for i in basket.lines_of if i not in overridden), key=lambda r: r.rank
        )
        best = self._choose(basket, chosen, alone)
        near = find_near_misses(
            [r for r in chosen if r.kind != "unit"],
            items,
            basket.masks,
            basket.lines_of,
            best.spend_net,
            self.max_near_misses,
        )
        rejected = self.coupons.rejections(ctx, moment, alone.qualifies, set(best.per_rule))
        return build_result(self.rules, items, best, near, rejected)

    def _basket(self, items: list[Item], ctx: PricingContext, moment: Moment) -> Basket:
        presented = self.coupons.presented(ctx)
        memo: dict[int, bool] = {}
        minute_live = self._live_by_minute.get(moment.minute_key(ctx))
        if minute_live is None:
            if len(self._live_by_minute) >= LIVE_CACHE_SIZE:
                self._live_by_minute.pop(next(iter(self._live_by_minute)))
            minute_live = self._live_by_minute[moment.minute_key(ctx)] = {}
        basket = Basket(items, {}, {}, {})
        for item in items:
            units: list[Rule] = []
            for index in self.candidates(item.line):
                rule = self.rules[index]
                live = memo.get(index)
                if live is None:
                    live = minute_live.get(index) if rule.minute_aligned else None
                    if live is None:
                        live = rule.is_live(ctx, moment)
                        if rule.minute_aligned:
                            minute_live[index] = live
                    if live and rule.promotion.coupon is not None:
                        live = self.coupons.usable(rule, ctx, presented)
                    memo[index] = live
                if not live or (rule.kind == "group" and item.line.weighed):
                    continue
                basket.lines_of.setdefault(index, []).append(item.index)
                if rule.kind == "unit":
                    units.append(rule)
                    basket.masks[index, item.index] = 1
                elif rule.kind == "group":
                    basket.masks[index, item.index] = rule.part_mask(item.line)
            if len(units) > 1:
                units.sort(key=lambda r: r.rank)
            basket.unit_rules[item.index] = units
        if items:
            wide = self._basket_wide + [
                self._wide_by_code[c] for c in presented if c in self._wide_by_code
            ]
            for index in wide:
                rule = self.rules[index]
                if rule.is_live(ctx, moment) and self.coupons.usable(rule, ctx, presented):
                    basket.lines_of[index] = [item.index for item in items]
        return basket

    def _choose(self, basket: Basket, rules: list[Rule], alone: AloneSavings) -> Outcome:
        """The combination, or a promotion alone (exclusive, or saving more on its own)."""
        if self.by_priority:
            top = next((rule for rule in rules if alone.qualifies(rule)), None)
            if top is not None and top.stacking == "exclusive":
                return alone.outcome(top)
            return run(
                basket, [r for r in rules if r.stacking != "exclusive"], True, self._components
            )
        best = run(basket, [r for r in rules if r.stacking != "exclusive"], False, self._components)
        for rule in rules:
            if self._may_beat_the_combination(rule, best):
                better = alone.beats(rule, best.saving)
                if better is not None:
                    best = better
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
