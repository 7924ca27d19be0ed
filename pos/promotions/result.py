"""Turning a pricing outcome into the result the lane, receipt and reports read."""

from __future__ import annotations

from collections.abc import Sequence

from pos.promotions.basket import AppliedDiscount, NearMiss, PricingResult, RejectedCoupon
from pos.promotions.pipeline import Outcome
from pos.promotions.rules import Item, Rule

Label = tuple[str, str, str, str | None]  # promotion id, English name, Chinese name, coupon code


def label(rule: Rule) -> Label:
    """What a discount shows of its promotion (computed once per bundle)."""
    promotion = rule.promotion
    code = promotion.coupon.code.upper() if promotion.coupon else None
    return promotion.id, promotion.name_en, promotion.display_name_zh, code


def build_result(
    labels: Sequence[Label],
    position: Sequence[int],
    items: Sequence[Item],
    outcome: Outcome,
    near_misses: tuple[NearMiss, ...],
    rejected: tuple[RejectedCoupon, ...],
) -> PricingResult:
    """Discounts in priority order (then id), each with the lines it touched in canonical order."""
    discounts: list[AppliedDiscount] = []
    line_ids = [item.line.line_id for item in items]
    per_line = [0] * len(items)
    for index in sorted(outcome.per_rule, key=position.__getitem__):
        parts = outcome.per_rule[index]
        if len(parts) > 1:
            parts = dict(sorted(parts.items()))
        lines: dict[str, int] = {}
        for i, part in parts.items():
            if part:
                lines[line_ids[i]] = part
                per_line[i] += part
        if not lines:
            continue
        promotion_id, name_en, name_zh, code = labels[index]
        discounts.append(
            AppliedDiscount(
                promotion_id=promotion_id,
                name_en=name_en,
                name_zh=name_zh,
                amount=sum(lines.values()),
                lines=lines,
                applications=max(1, outcome.applications.get(index, 1)),
                coupon_code=code,
            )
        )
    return PricingResult(
        discounts=tuple(discounts),
        line_discounts=dict(zip(line_ids, per_line, strict=True)),
        total_discount=sum(per_line),
        near_misses=near_misses,
        rejected_coupons=rejected,
        subtotal=sum(item.amount for item in items),
        method=outcome.method,
    )
