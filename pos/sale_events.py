"""What happened to a sale, for the audit journal: past-tense events with who did it and when."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pos.errors import InvalidInput


class SaleEventName(enum.StrEnum):
    SALE_OPENED = "SaleOpened"
    LINE_ADDED = "LineAdded"
    LINE_QUANTITY_CHANGED = "LineQuantityChanged"
    LINE_VOIDED = "LineVoided"
    PRICE_OVERRIDDEN = "PriceOverridden"
    DISCOUNTS_APPLIED = "DiscountsApplied"
    MEMBER_ATTACHED = "MemberAttached"
    MEMBER_DETACHED = "MemberDetached"
    COUPON_ADDED = "CouponAdded"
    COUPON_REMOVED = "CouponRemoved"
    TENDER_ADDED = "TenderAdded"
    TENDER_VOIDED = "TenderVoided"
    SALE_SUSPENDED = "SaleSuspended"
    SALE_RESUMED = "SaleResumed"
    SALE_CANCELLED = "SaleCancelled"
    SALE_COMPLETED = "SaleCompleted"


@dataclass(frozen=True, slots=True)
class SaleEvent:
    """Something that happened to a sale, with who did it (and which manager approved it)."""

    name: SaleEventName
    sale_id: str
    version: int
    at: datetime
    cashier_id: str
    lane_id: str
    manager_id: str | None
    data: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The journal payload: JSON-able, times as ISO 8601."""
        return {
            "name": self.name.value,
            "sale_id": self.sale_id,
            "version": self.version,
            "at": self.at.isoformat(),
            "cashier_id": self.cashier_id,
            "lane_id": self.lane_id,
            "manager_id": self.manager_id,
            "data": dict(self.data),
        }


def check_aware(at: datetime) -> datetime:
    """`at` itself, or InvalidInput when it has no time zone (rules never guess one)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"time {at.isoformat()} has no time zone")
    return at
