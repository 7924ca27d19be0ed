"""Turning a pricing outcome into the result the lane, receipt and reports read."""

from __future__ import annotations

from collections.abc import Sequence

from pos.promotions.basket import AppliedDiscount, NearMiss, PricingResult, RejectedCoupon
from pos.promotions.memo import Memo
from pos.promotions.pipeline import Outcome
from pos.promotions.rules import Item, Rule

Label = tuple[str, str, str, str | None]  # promotion id, English name, Chinese name, coupon code
SHARED_LINES = 16  # a discount over more lines is built anew: its split moves with every scan


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
    known: Memo[AppliedDiscount],
) -> PricingResult:
    """Discounts in priority order (then id), each with the lines it touched in canonical order.

    A discount the previous pricing gave too (same promotion, lines, amounts, applications)
    is taken from `known` instead of being built again: most are, after a scan, and the
    same object lets the lane keep what it made of it (`pos.tax.DiscountParts`).
    """
    discounts: list[AppliedDiscount] = []
    line_ids = [item.line.line_id for item in items]
    counts = outcome.applications
    for index in sorted(outcome.per_rule, key=position.__getitem__):
        parts = outcome.per_rule[index]
        times = max(1, counts.get(index, 1))
        if len(parts) == 1:
            ((i, part),) = parts.items()
            key = (index, times, line_ids[i], part)
            found = known.get(key)
            if found is None:
                found = _discount(labels[index], {line_ids[i]: part}, times)
                known.put(key, found)
        else:  # a group or a threshold
            order = sorted(parts)
            ids = tuple(map(line_ids.__getitem__, order))
            amounts = tuple(map(parts.__getitem__, order))
            # a split over many lines moves with every scan: not worth keeping
            shared = len(order) <= SHARED_LINES
            found = known.get((index, times, ids, amounts)) if shared else None
            if found is None:
                found = _discount(labels[index], dict(zip(ids, amounts, strict=True)), times)
                if shared:
                    known.put((index, times, ids, amounts), found)
        if found.amount:
            discounts.append(found)
    return PricingResult(
        discounts=tuple(discounts),
        line_discounts=dict(zip(line_ids, outcome.line_totals, strict=True)),
        total_discount=sum(outcome.line_totals),
        near_misses=near_misses,
        rejected_coupons=rejected,
        subtotal=sum(item.amount for item in items),
        method=outcome.method,
    )


def _discount(label: Label, lines: dict[str, int], times: int) -> AppliedDiscount:
    """One promotion's discount; `lines` has no zero part (a pricing records none)."""
    promotion_id, name_en, name_zh, code = label
    return AppliedDiscount(
        promotion_id=promotion_id,
        name_en=name_en,
        name_zh=name_zh,
        amount=sum(lines.values()),
        lines=lines,
        applications=times,
        coupon_code=code,
    )
