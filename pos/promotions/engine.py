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
from pos.promotions.rules import Item, Rule, compile_rule

KnownSkus = Callable[[str], bool] | frozenset[str]
CANDIDATE_CACHE_SIZE = 100_000


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
        for rule in self.rules:
            if rule.id in self.inert:
                continue
            if not rule.parts:
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

    def candidates(self, line: BasketLine) -> tuple[int, ...]:
        """Indices of the rules whose sets accept this line (cached per sku/category/brand)."""
        key = (line.sku, line.category, line.brand)
        found = self._candidates.get(key)
        if found is None:
            indices = set(self._everywhere)
            for kind, value in (
                ("sku", line.sku),
                ("category", line.category),
                ("brand", line.brand),
            ):
                if value:
                    indices |= self._by_key[kind].get(value, set())
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
        basket, live = self._basket(items, ctx)
        alone = AloneSavings(basket, self.by_priority, self._components)
        qualifying = {index for index in basket.lines_of if alone.qualifies(self.rules[index])}
        kept: set[int] = set()
        for index in self._override_order:
            if index in qualifying and not any(o in kept for o in self._overriders.get(index, ())):
                kept.add(index)
        best = self._choose(
            basket, sorted((self.rules[i] for i in kept), key=lambda r: r.rank), alone
        )
        overridden = qualifying - kept
        near = find_near_misses(
            [self.rules[i] for i in sorted(live) if i not in overridden and i in basket.lines_of],
            items,
            basket.masks,
            basket.lines_of,
            best.spend_net,
            self.max_near_misses,
        )
        rejected = self.coupons.rejections(ctx, live, qualifying, set(best.per_rule))
        return build_result(self.rules, items, best, near, rejected)

    def _basket(self, items: list[Item], ctx: PricingContext) -> tuple[Basket, set[int]]:
        local = ctx.local_time()
        memo: dict[int, bool] = {}

        def is_live(rule: Rule) -> bool:
            if rule.index not in memo:
                memo[rule.index] = rule.is_live(ctx, local) and self.coupons.usable(rule, ctx)
            return memo[rule.index]

        basket = Basket(items, {}, {}, {})
        for item in items:
            units: list[Rule] = []
            for index in self.candidates(item.line):
                rule = self.rules[index]
                if not is_live(rule) or (rule.kind == "group" and item.line.weighed):
                    continue
                basket.lines_of.setdefault(index, []).append(item.index)
                if rule.kind == "unit":
                    units.append(rule)
                    basket.masks[index, item.index] = 1
                elif rule.kind == "group":
                    basket.masks[index, item.index] = rule.part_mask(item.line)
            basket.unit_rules[item.index] = sorted(units, key=lambda r: r.rank)
        if items:
            for index in self._basket_wide:
                if is_live(self.rules[index]):
                    basket.lines_of[index] = [item.index for item in items]
        return basket, {index for index, ok in memo.items() if ok}

    def _choose(self, basket: Basket, kept: list[Rule], alone: AloneSavings) -> Outcome:
        if self.by_priority:
            if kept and kept[0].stacking == "exclusive":
                return alone.outcome(kept[0])
            return run(
                basket, [r for r in kept if r.stacking != "exclusive"], True, self._components
            )
        combined = [r for r in kept if r.stacking != "exclusive"]
        best = run(basket, combined, False, self._components)
        for rule in kept:
            worth_pricing = rule.stacking == "exclusive" or alone.high(rule) > best.saving
            if worth_pricing and alone.outcome(rule).saving > best.saving:
                best = alone.outcome(rule)
        return best


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
                ready.append(rules[index_of[target]])
                ready.sort(key=lambda r: r.rank, reverse=True)
    return order
