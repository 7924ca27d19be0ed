"""What the pricer is given (basket lines, the pricing context) and what it answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pos.errors import InvalidInput
from pos.money import div_round_half_up

GRAMS_PER_KG = 1000


def _whole(name: str, value: object, minimum: int) -> None:
    if type(value) is not int:
        raise InvalidInput(f"{name} must be an int (money in minor units, weights in grams)")
    if value < minimum:
        raise InvalidInput(f"{name} {value} must be at least {minimum}")


@dataclass(frozen=True, slots=True)
class BasketLine:
    """One line of the basket: pieces, or grams when `weighed` (then prices are per kg).

    `min_price` is the item's floor per piece (per kg when weighed): no promotion takes the
    line below it.
    """

    line_id: str
    sku: str
    quantity: int
    unit_price: int
    category: str = ""
    brand: str = ""
    weighed: bool = False
    min_price: int = 0

    def __post_init__(self) -> None:
        if not self.line_id:
            raise InvalidInput("line_id is empty")
        if not self.sku:
            raise InvalidInput(f"line {self.line_id}: sku is empty")
        _whole(f"line {self.line_id}: quantity", self.quantity, 1)
        _whole(f"line {self.line_id}: unit_price", self.unit_price, 0)
        _whole(f"line {self.line_id}: min_price", self.min_price, 0)

    @property
    def amount(self) -> int:
        """The line at shelf price; weighed lines round half up to the minor unit."""
        return self.amount_at(self.unit_price)

    @property
    def floor(self) -> int:
        """The least this line may cost after promotions."""
        return self.amount_at(min(self.min_price, self.unit_price))

    def amount_at(self, unit_price: int) -> int:
        """This line's amount at another unit price (per piece, or per kg rounded half up)."""
        if self.weighed:
            return div_round_half_up(self.quantity * unit_price, GRAMS_PER_KG)
        return self.quantity * unit_price


@dataclass(frozen=True, slots=True)
class PricingContext:
    """When, where and for whom a basket is priced.

    `tz` is the store's time zone for days and hours of windows (default: `at`'s own zone).
    `coupon_uses` counts every use of a code so far (all shoppers); `customer_coupon_uses`
    counts this customer's uses. Codes are compared upper-cased.
    """

    at: dt.datetime
    store_id: str
    store_groups: frozenset[str] = frozenset()
    member_tier: str | None = None
    coupon_codes: tuple[str, ...] = ()
    customer_id: str | None = None
    coupon_uses: Mapping[str, int] = field(default_factory=dict)
    customer_coupon_uses: Mapping[str, int] = field(default_factory=dict)
    tz: dt.tzinfo | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidInput("pricing time must be timezone-aware")

    def local_time(self) -> dt.datetime:
        """`at` in the store's time zone."""
        return self.at.astimezone(self.tz) if self.tz is not None else self.at


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    """One promotion's discount: how much in total and on which lines (line_id -> amount)."""

    promotion_id: str
    name_en: str
    name_zh: str
    amount: int
    lines: Mapping[str, int]
    applications: int = 1
    coupon_code: str | None = None


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A promotion the basket almost qualifies for, and what the shopper would save."""

    promotion_id: str
    name_en: str
    name_zh: str
    message_en: str
    message_zh: str
    potential_saving: int
    missing_quantity: int = 0
    missing_spend: int = 0


CouponRejection = Literal[
    "unknown",
    "not_live",
    "used_up",
    "customer_limit",
    "needs_customer",
    "not_qualified",
    "not_best",
]


@dataclass(frozen=True, slots=True)
class RejectedCoupon:
    """A presented coupon code that gave no discount, and why."""

    code: str
    reason: CouponRejection
    message_en: str
    message_zh: str


Method = Literal["exact", "bounded", "priority"]


@dataclass(frozen=True, slots=True)
class PricingResult:
    """The discounts of one pricing; `method` says how competing promotions were chosen."""

    discounts: tuple[AppliedDiscount, ...]
    line_discounts: Mapping[str, int]
    total_discount: int
    near_misses: tuple[NearMiss, ...]
    rejected_coupons: tuple[RejectedCoupon, ...]
    subtotal: int
    method: Method = "exact"

    @property
    def total(self) -> int:
        """What the basket costs after promotions."""
        return self.subtotal - self.total_discount
