"""Promotions: HQ's price promotions applied at the lane — fast, explainable, deterministic.

    bundle = load_bundle(data)                   # PromotionError names the bad field
    pricer = Pricer(bundle, known_skus=catalog)  # index once per bundle / catalog change
    result = pricer.price(lines, ctx)            # discounts, per line, near misses

See docs/promotions.md for each promotion type and every interaction rule.
"""

from pos.promotions.basket import (
    AppliedDiscount,
    BasketLine,
    NearMiss,
    PricingContext,
    PricingResult,
    RejectedCoupon,
)
from pos.promotions.bundle import PromotionBundle, PromotionError, bundle_json_schema, load_bundle
from pos.promotions.engine import Pricer
from pos.promotions.model import PROMOTION_TYPES, Promotion

__all__ = [
    "PROMOTION_TYPES",
    "AppliedDiscount",
    "BasketLine",
    "NearMiss",
    "Pricer",
    "PricingContext",
    "PricingResult",
    "Promotion",
    "PromotionBundle",
    "PromotionError",
    "RejectedCoupon",
    "bundle_json_schema",
    "load_bundle",
]
