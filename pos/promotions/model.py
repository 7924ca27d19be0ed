"""Promotion definitions as HQ authors them: plain data, validated by pydantic.

Every rule a single promotion can break is checked here, on the field that breaks it; rules
that span promotions (unique ids, `overrides` forming no cycle, unique coupon codes) are
checked by `pos.promotions.bundle`. Money is `int` minor units (fen) and is refused as a float.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from pos.money import div_round_half_up
from pos.promotions.fields import (
    COUPON_PATTERN,
    ID_PATTERN,
    Code,
    GroupSize,
    Limit,
    Money,
    Name,
    Percent,
    PositiveMoney,
    Priority,
    Quantity,
    RewardPercent,
    Weekday,
)


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemSet(Definition):
    """Which basket lines a promotion looks at: SKUs, categories, brands, or every item."""

    all: bool = False
    skus: tuple[Code, ...] = ()
    categories: tuple[Code, ...] = ()
    brands: tuple[Code, ...] = ()
    exclude_skus: tuple[Code, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> ItemSet:
        if not (self.all or self.skus or self.categories or self.brands):
            raise ValueError(
                "empty set: name at least one sku, category or brand, or set all: true"
            )
        return self


class Window(Definition):
    """When a promotion is live: [start, end), optionally on some weekdays and hours (store time)."""

    start: AwareDatetime
    end: AwareDatetime
    days: tuple[Weekday, ...] = Field(
        default=(), description="ISO weekdays 1 (Mon) .. 7 (Sun); empty = every day"
    )
    from_time: dt.time | None = Field(default=None, description="store local time, inclusive")
    to_time: dt.time | None = Field(default=None, description="store local time, exclusive")

    @model_validator(mode="after")
    def _in_order(self) -> Window:
        if self.end <= self.start:
            raise ValueError(
                f"window ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})"
            )
        if any(t is not None and t.tzinfo is not None for t in (self.from_time, self.to_time)):
            raise ValueError("from_time/to_time are store local times: give them without an offset")
        if (self.from_time is None) != (self.to_time is None):
            raise ValueError("from_time and to_time go together")
        if (
            self.from_time is not None
            and self.to_time is not None
            and self.to_time <= self.from_time
        ):
            raise ValueError("to_time must be after from_time (split an overnight window in two)")
        if len(set(self.days)) != len(self.days):
            raise ValueError("days lists a weekday twice")
        return self

    def overlaps(self, other: Window) -> bool:
        """True when some instant is inside both windows."""
        if self.start >= other.end or other.start >= self.end:
            return False
        if self.days and other.days and not set(self.days) & set(other.days):
            return False
        if self.from_time is None or other.from_time is None:
            return True
        assert self.to_time is not None and other.to_time is not None
        return self.from_time < other.to_time and other.from_time < self.to_time


class Coupon(Definition):
    """A code the shopper presents; `max_uses` counts all shoppers (1 = single use)."""

    code: Annotated[str, Field(pattern=COUPON_PATTERN)]
    max_uses: Limit | None = None
    max_uses_per_customer: Limit | None = None


Stacking = Literal["compete", "stackable", "exclusive"]


class PromotionBase(Definition):
    """What every promotion has: identity, names, priority, stacking, targeting, windows."""

    CAN_STACK: ClassVar[bool] = False

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name_en: Name
    name_zh: Annotated[str, Field(max_length=120)] = ""
    priority: Priority = 0
    stacking: Stacking = Field(
        default="compete",
        description="compete: competes with others for items (best combination wins); "
        "stackable: applies on top; exclusive: applies alone or not at all",
    )
    overrides: tuple[Code, ...] = Field(
        default=(), description="ids of promotions that do not apply when this one qualifies"
    )
    windows: tuple[Window, ...] = Field(default=(), description="empty = always live")
    stores: tuple[Code, ...] = Field(
        default=(), description="empty stores and store_groups = every store"
    )
    store_groups: tuple[Code, ...] = ()
    member_tiers: tuple[Code, ...] = Field(
        default=(), description="empty = everyone, members or not"
    )
    coupon: Coupon | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PromotionBase:
        if self.stacking == "stackable" and not self.CAN_STACK:
            raise ValueError(
                "stacking: only percent_off, amount_off and spend_threshold promotions can be stackable"
            )
        if self.id in self.overrides:
            raise ValueError(f"overrides: circular exclusivity: {self.id} overrides itself")
        for i, first in enumerate(self.windows):
            for j in range(i + 1, len(self.windows)):
                if first.overlaps(self.windows[j]):
                    raise ValueError(f"windows: windows[{i}] and windows[{j}] overlap")
        return self

    @property
    def display_name_zh(self) -> str:
        return self.name_zh or self.name_en


class PercentOff(PromotionBase):
    """Percent off every matching unit (an item, a set, a category, a brand)."""

    CAN_STACK: ClassVar[bool] = True
    type: Literal["percent_off"]
    items: ItemSet
    percent_off: Percent


class AmountOff(PromotionBase):
    """An amount off every matching unit (per piece; per kg for weighed items)."""

    CAN_STACK: ClassVar[bool] = True
    type: Literal["amount_off"]
    items: ItemSet
    amount_off: PositiveMoney


class FixedPrice(PromotionBase):
    """A promotional unit price (per piece; per kg for weighed items)."""

    type: Literal["fixed_price"]
    items: ItemSet
    price: Money


class BuyXGetY(PromotionBase):
    """Buy `buy_quantity`, get `get_quantity` at `reward_percent_off` (100 = free).

    Without `get_items` the rewarded units are the cheapest of each group of
    buy + get units from `items`; with it, they are units from `get_items`.
    """

    type: Literal["buy_x_get_y"]
    items: ItemSet
    get_items: ItemSet | None = None
    buy_quantity: Quantity
    get_quantity: Quantity = 1
    reward_percent_off: RewardPercent = 100
    max_applications: Limit | None = None


class CheapestFree(PromotionBase):
    """Of every `quantity` units from the set, the cheapest one is free."""

    type: Literal["cheapest_free"]
    items: ItemSet
    quantity: GroupSize
    max_applications: Limit | None = None


class MixAndMatch(PromotionBase):
    """Any `quantity` units from the set for `price` together."""

    type: Literal["mix_and_match"]
    items: ItemSet
    quantity: GroupSize
    price: Money
    max_applications: Limit | None = None


class BundleComponent(Definition):
    items: ItemSet
    quantity: Quantity = 1


class BundlePrice(PromotionBase):
    """A bundle: the components together (A + B) for `price`."""

    type: Literal["bundle"]
    components: Annotated[tuple[BundleComponent, ...], Field(min_length=2)]
    price: Money
    max_applications: Limit | None = None


class Tier(Definition):
    """Spend at least `min_spend`, save `amount_off` or `percent_off` of the spend."""

    min_spend: PositiveMoney
    amount_off: PositiveMoney | None = None
    percent_off: Percent | None = None

    @model_validator(mode="after")
    def _one_saving(self) -> Tier:
        if (self.amount_off is None) == (self.percent_off is None):
            raise ValueError("give exactly one of amount_off and percent_off")
        if self.amount_off is not None and self.amount_off >= self.min_spend:
            raise ValueError("amount_off: must be less than min_spend (100 %+ off)")
        return self

    def saving_at(self, spend: int) -> int:
        """The saving of this tier at `spend` (percent rounds half up)."""
        if self.amount_off is not None:
            return self.amount_off
        assert self.percent_off is not None
        return div_round_half_up(spend * self.percent_off, 100)


class SpendThreshold(PromotionBase):
    """Spend thresholds on the basket (no `items`) or on a set, with tiers; `repeat` = every N."""

    CAN_STACK: ClassVar[bool] = True
    type: Literal["spend_threshold"]
    items: ItemSet | None = None
    tiers: Annotated[tuple[Tier, ...], Field(min_length=1)]
    repeat: bool = Field(
        default=False, description="save again for every min_spend (one tier only)"
    )
    max_applications: Limit | None = None

    @model_validator(mode="after")
    def _tiers_rise(self) -> SpendThreshold:
        for i in range(1, len(self.tiers)):
            low, high = self.tiers[i - 1], self.tiers[i]
            if high.min_spend <= low.min_spend:
                raise ValueError(f"tiers[{i}].min_spend: tiers must rise in min_spend")
            if high.saving_at(high.min_spend) < low.saving_at(high.min_spend):
                raise ValueError(f"tiers[{i}]: a higher tier must not save less than a lower one")
        if self.repeat and len(self.tiers) != 1:
            raise ValueError("repeat: a repeating threshold has exactly one tier")
        if self.repeat and self.tiers[0].amount_off is None:
            raise ValueError("repeat: a repeating threshold saves an amount_off")
        return self


Promotion = Annotated[
    PercentOff
    | AmountOff
    | FixedPrice
    | BuyXGetY
    | CheapestFree
    | MixAndMatch
    | BundlePrice
    | SpendThreshold,
    Field(discriminator="type"),
]
PROMOTION_TYPES = (
    "percent_off",
    "amount_off",
    "fixed_price",
    "buy_x_get_y",
    "cheapest_free",
    "mix_and_match",
    "bundle",
    "spend_threshold",
)


def item_sets(promotion: PromotionBase) -> tuple[ItemSet, ...]:
    """Every item set a promotion names (what the pricer indexes it by)."""
    sets: list[ItemSet] = []
    for name in ("items", "get_items"):
        value = getattr(promotion, name, None)
        if isinstance(value, ItemSet):
            sets.append(value)
    if isinstance(promotion, BundlePrice):
        sets.extend(component.items for component in promotion.components)
    return tuple(sets)
