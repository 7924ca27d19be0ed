"""A sale's lines: what was rung up, how (scanned, keyed, weighed, labelled) and at what price."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pos.errors import InvalidInput
from pos.weighed import weighed_amount_half_up

MAX_PIECES = 999


class LineSource(enum.StrEnum):
    SCANNED = "scanned"
    KEYED = "keyed"
    SCALE = "scale"  # weight read from the lane scale
    LABEL_WEIGHT = "label_weight"  # weight embedded in an in-store label
    LABEL_PRICE = "label_price"  # price embedded in an in-store label


@dataclass(frozen=True)
class PriceOverride:
    unit_price: int
    manager_id: str
    reason: str


@dataclass(frozen=True)  # no slots: rendered by orjson on every scan (see pos.tax.PromotionShare)
class SaleLine:
    """One line; quantity is pieces, or grams when `weighed` (then unit_price is per kg)."""

    line_id: int
    sku: str
    name_en: str
    name_zh: str
    quantity: int
    unit_price: int
    tax_class: str
    category: str = ""
    brand: str = ""
    weighed: bool = False
    source: LineSource = LineSource.SCANNED
    code: str = ""  # the barcode scanned or the PLU / SKU keyed
    scale_id: str = ""
    override: PriceOverride | None = None
    voided: bool = False

    @property
    def effective_unit_price(self) -> int:
        return self.override.unit_price if self.override else self.unit_price

    @property
    def amount(self) -> int:
        """Shelf amount before discounts (weighed: per-kg price x grams, rounded half up)."""
        if self.weighed:
            return weighed_amount_half_up(self.effective_unit_price, self.quantity)
        return self.effective_unit_price * self.quantity

    def to_dict(self) -> dict[str, Any]:
        # Spelled out: dataclasses.asdict deep-copies and costs ~40 us a line, and a
        # 100-line cart is saved on every scan.
        override = self.override
        return {
            "line_id": self.line_id, "sku": self.sku, "name_en": self.name_en, "name_zh": self.name_zh,
            "quantity": self.quantity, "unit_price": self.unit_price, "tax_class": self.tax_class,
            "category": self.category, "brand": self.brand, "weighed": self.weighed,
            "source": self.source.value, "code": self.code, "scale_id": self.scale_id,
            "override": None if override is None else {
                "unit_price": override.unit_price, "manager_id": override.manager_id, "reason": override.reason,
            },
            "voided": self.voided,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SaleLine:
        override = data.get("override")
        return cls(
            **{
                **data,
                "source": LineSource(data["source"]),
                "override": PriceOverride(**override) if override else None,
            }
        )


def check_pieces(quantity: int) -> int:
    """A piece count within 1..999; InvalidInput naming the quantity otherwise."""
    if quantity <= 0:
        raise InvalidInput(f"quantity {quantity} must be at least 1")
    if quantity > MAX_PIECES:
        raise InvalidInput(f"quantity {quantity} is above the maximum {MAX_PIECES} pieces")
    return quantity
