"""Turning a pricing outcome into the result the lane, receipt and reports read."""

from __future__ import annotations

from collections.abc import Sequence

from pos.promotions.basket import AppliedDiscount, NearMiss, PricingResult, RejectedCoupon
from pos.promotions.pipeline import Outcome
from pos.promotions.rules import Item, Rule


def build_result(
    rules: Sequence[Rule],
    items: Sequence[Item],
    outcome: Outcome,
    near_misses: tuple[NearMiss, ...],
    rejected: tuple[RejectedCoupon, ...],
) -> PricingResult:
    """Discounts in priority order (then id), each with the lines it touched in canonical order."""
    discounts: list[AppliedDiscount] = []
    per_line = {item.line.line_id: 0 for item in items}
    for index in sorted(outcome.per_rule, key=lambda i: rules[i].rank):
        promotion = rules[index].promotion
        lines = {
            items[i].line.line_id: part
            for i, part in sorted(outcome.per_rule[index].items())
            if part
        }
        if not lines:
            continue
        for line_id, part in lines.items():
            per_line[line_id] += part
        discounts.append(
            AppliedDiscount(
                promotion_id=promotion.id,
                name_en=promotion.name_en,
                name_zh=promotion.display_name_zh,
                amount=sum(lines.values()),
                lines=lines,
                applications=max(1, outcome.applications.get(index, 1)),
                coupon_code=promotion.coupon.code.upper() if promotion.coupon else None,
            )
        )
    total = sum(per_line.values())
    return PricingResult(
        discounts=tuple(discounts),
        line_discounts=per_line,
        total_discount=total,
        near_misses=near_misses,
        rejected_coupons=rejected,
        subtotal=sum(item.amount for item in items),
        method=outcome.method,
    )
