"""Promotions compiled for pricing: set matching, liveness, and the per-unit savings.

The pricer compiles each validated promotion once into a `Rule` (frozensets, plain ints)
so that pricing never walks pydantic models in its inner loops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pos.money import div_round_half_up
from pos.promotions.basket import GRAMS_PER_KG, BasketLine, PricingContext
from pos.promotions.model import (
    AmountOff,
    BundlePrice,
    BuyXGetY,
    CheapestFree,
    FixedPrice,
    ItemSet,
    MixAndMatch,
    PercentOff,
    Promotion,
    SpendThreshold,
    Window,
    item_sets,
)

Kind = Literal["unit", "group", "threshold"]


@dataclass(frozen=True, slots=True)
class Match:
    """A compiled item set."""

    everything: bool
    skus: frozenset[str]
    categories: frozenset[str]
    brands: frozenset[str]
    exclude: frozenset[str]

    @classmethod
    def of(cls, item_set: ItemSet) -> Match:
        return cls(
            item_set.all,
            frozenset(item_set.skus),
            frozenset(item_set.categories),
            frozenset(item_set.brands),
            frozenset(item_set.exclude_skus),
        )

    def accepts(self, line: BasketLine) -> bool:
        if line.sku in self.exclude:
            return False
        return (
            self.everything
            or line.sku in self.skus
            or (bool(line.category) and line.category in self.categories)
            or (bool(line.brand) and line.brand in self.brands)
        )


@dataclass(frozen=True, slots=True)
class Moment:
    """The pricing instant, and its weekday and clock time in the store's zone."""

    at: dt.datetime
    weekday: int
    clock: dt.time

    @classmethod
    def of(cls, ctx: PricingContext) -> Moment:
        local = ctx.local_time()
        return cls(ctx.at, local.isoweekday(), local.time())

    def minute_key(self, ctx: PricingContext) -> tuple[object, ...]:
        """What liveness of minute-aligned rules depends on: the minute, the store, the tier."""
        minute = self.at.replace(second=0, microsecond=0)
        clock = (self.clock.hour, self.clock.minute)
        return (minute, self.weekday, clock, ctx.store_id, ctx.store_groups, ctx.member_tier)


@dataclass(frozen=True, slots=True)
class LiveWindow:
    start: dt.datetime
    end: dt.datetime
    days: frozenset[int]
    from_time: dt.time | None
    to_time: dt.time | None

    def contains(self, moment: Moment) -> bool:
        if not self.start <= moment.at < self.end:
            return False
        if self.days and moment.weekday not in self.days:
            return False
        if self.from_time is None or self.to_time is None:
            return True
        return self.from_time <= moment.clock < self.to_time


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One promotion ready to price with."""

    index: int
    promotion: Promotion
    kind: Kind
    parts: tuple[Match, ...]  # items (, get_items) or bundle components; () = whole basket
    windows: tuple[LiveWindow, ...]
    stores: frozenset[str]
    store_groups: frozenset[str]
    member_tiers: frozenset[str]
    id: str
    rank: tuple[int, str]  # sort key: higher priority first, then promotion id
    stacking: str
    minute_aligned: bool  # every window edge on a whole minute: liveness is per minute

    def accepts(self, line: BasketLine) -> bool:
        """True when the line is in any set the promotion names (or it is basket-wide)."""
        return not self.parts or any(part.accepts(line) for part in self.parts)

    def part_mask(self, line: BasketLine) -> int:
        """Bit i set when part i (items, get_items, or bundle component i) accepts the line."""
        return sum(1 << i for i, part in enumerate(self.parts) if part.accepts(line))

    def is_live(self, ctx: PricingContext, moment: Moment) -> bool:
        """Live at this time, in this store, for this member tier (coupons are checked apart)."""
        if self.windows and not any(w.contains(moment) for w in self.windows):
            return False
        if (self.stores or self.store_groups) and not (
            ctx.store_id in self.stores or self.store_groups & ctx.store_groups
        ):
            return False
        return not self.member_tiers or ctx.member_tier in self.member_tiers


def compile_rule(index: int, promotion: Promotion) -> Rule:
    """Compile a validated promotion."""
    kind: Kind
    if isinstance(promotion, PercentOff | AmountOff | FixedPrice):
        kind = "unit"
    elif isinstance(promotion, SpendThreshold):
        kind = "threshold"
    else:
        kind = "group"
    parts = tuple(Match.of(s) for s in item_sets(promotion))
    windows = tuple(
        LiveWindow(w.start, w.end, frozenset(w.days), w.from_time, w.to_time)
        for w in promotion.windows
    )
    return Rule(
        index,
        promotion,
        kind,
        parts,
        windows,
        frozenset(promotion.stores),
        frozenset(promotion.store_groups),
        frozenset(promotion.member_tiers),
        promotion.id,
        (-promotion.priority, promotion.id),
        promotion.stacking,
        all(_whole_minute(w) for w in promotion.windows),
    )


def _whole_minute(window: Window) -> bool:
    edges = (window.start, window.end, window.from_time, window.to_time)
    return all(edge is None or (edge.second == 0 and edge.microsecond == 0) for edge in edges)


@dataclass(slots=True)
class Item:
    """A basket line in canonical order; pieces are units, a weighed line is one unit.

    Not frozen: pricing builds hundreds per basket, and a frozen dataclass is five times
    slower to build; nothing changes an item after it is made.
    """

    index: int
    line: BasketLine
    units: int
    unit_amount: int  # per piece, or the whole line when weighed
    unit_floor: int
    amount: int  # the line at shelf price
    floor: int  # the least the line may cost
    headroom: int  # what promotions may take off one unit

    @classmethod
    def of(cls, index: int, line: BasketLine) -> Item:
        if line.weighed:
            amount, floor = line.amount, line.floor
            return cls(index, line, 1, amount, floor, amount, floor, amount - floor)
        quantity, price = line.quantity, line.unit_price
        unit_floor = min(line.min_price, price)
        return cls(
            index,
            line,
            quantity,
            price,
            unit_floor,
            quantity * price,
            quantity * unit_floor,
            price - unit_floor,
        )

    def at(self, index: int) -> Item:
        """The same line at another position."""
        return Item(
            index,
            self.line,
            self.units,
            self.unit_amount,
            self.unit_floor,
            self.amount,
            self.floor,
            self.headroom,
        )


def unit_saving(rule: Rule, item: Item, count: int) -> int:
    """Saving of a percent-off, amount-off or fixed-price rule on `count` units of an item."""
    promotion = rule.promotion
    line = item.line
    cap = item.headroom * count
    if isinstance(promotion, PercentOff):
        saving = div_round_half_up(item.unit_amount * count * promotion.percent_off, 100)
    elif isinstance(promotion, AmountOff):
        per_unit = (
            div_round_half_up(line.quantity * promotion.amount_off, GRAMS_PER_KG)
            if line.weighed
            else promotion.amount_off
        )
        saving = per_unit * count
    elif isinstance(promotion, FixedPrice):
        new_price = line.amount_at(promotion.price) if line.weighed else promotion.price
        saving = (item.unit_amount - new_price) * count
    else:
        return 0
    return max(0, min(saving, cap))


def group_shape(rule: Rule) -> tuple[int, int | None]:
    """(units per application, application limit) of a group rule, for near misses."""
    promotion = rule.promotion
    if isinstance(promotion, BuyXGetY):
        return promotion.buy_quantity + promotion.get_quantity, promotion.max_applications
    if isinstance(promotion, CheapestFree | MixAndMatch):
        return promotion.quantity, promotion.max_applications
    if isinstance(promotion, BundlePrice):
        return sum(c.quantity for c in promotion.components), promotion.max_applications
    return 1, None
