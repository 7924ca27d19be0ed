"""Who a sale is for: the loyalty member (id and tier) and the coupons the shopper presented.

A coupon on a sale remembers the promotion its code unlocks and that promotion's limits, so
the completion can count its uses and the promotion the sale actually took, without the
bundle at hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pos.errors import InvalidInput
from pos.promotions.coupons import normalise

MAX_COUPONS = 10
_MEMBER_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_]{0,31}$")
_TIER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_]{0,15}$")


@dataclass(frozen=True, slots=True)
class SaleMember:
    member_id: str
    tier: str

    def __post_init__(self) -> None:
        check_member_id(self.member_id)
        if not _TIER.match(self.tier):
            raise InvalidInput(f"member tier {self.tier!r} must be 1-16 letters, digits, - or _")

    def to_dict(self) -> dict[str, str]:
        return {"member_id": self.member_id, "tier": self.tier}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SaleMember | None:
        return None if data is None else cls(str(data["member_id"]), str(data["tier"]))


@dataclass(frozen=True, slots=True)
class SaleCoupon:
    """A presented code (normalised) and the promotion it unlocks, with its use limits."""

    code: str
    promotion_id: str
    max_uses: int | None = None
    max_uses_per_customer: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "promotion_id": self.promotion_id,
            "max_uses": self.max_uses, "max_uses_per_customer": self.max_uses_per_customer,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SaleCoupon:
        return cls(**data)


def check_member_id(member_id: str) -> str:
    if not _MEMBER_ID.match(member_id):
        raise InvalidInput(f"member id {member_id!r} must be 1-32 letters, digits, - or _")
    return member_id


def coupon_code(code: str) -> str:
    """A presented code as the promotions compare it (upper-cased, trimmed); InvalidInput if blank."""
    normalised = normalise(code)
    if not normalised:
        raise InvalidInput("the coupon code is empty")
    return normalised


def coupons_used(coupons: Iterable[SaleCoupon], promotion_ids: Iterable[str]) -> tuple[SaleCoupon, ...]:
    """The presented coupons whose promotion gave the sale a discount."""
    applied = set(promotion_ids)
    return tuple(c for c in coupons if c.promotion_id in applied)
