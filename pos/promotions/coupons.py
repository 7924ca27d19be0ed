"""Coupon codes: which presented codes unlock a promotion, and why the others did not."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set

from pos.promotions.basket import CouponRejection, PricingContext, RejectedCoupon
from pos.promotions.rules import Moment, Rule

_MESSAGES: dict[CouponRejection, tuple[str, str]] = {
    "unknown": ("Coupon {code} is not known", "优惠券{code}无效"),
    "not_live": (
        "Coupon {code} is not valid at this time or in this store",
        "优惠券{code}当前不可用",
    ),
    "used_up": ("Coupon {code} has been used up", "优惠券{code}已用完"),
    "customer_limit": (
        "Coupon {code} was already used by this customer",
        "该顾客已用过优惠券{code}",
    ),
    "needs_customer": (
        "Coupon {code} needs the customer: identify the member first",
        "优惠券{code}需先识别会员",
    ),
    "not_qualified": (
        "The basket does not qualify for coupon {code}",
        "购物篮未满足优惠券{code}的条件",
    ),
    "not_best": (
        "Coupon {code} not used: a better offer applies",
        "优惠券{code}未使用：已有更优惠的组合",
    ),
}


def normalise(code: str) -> str:
    """Codes compare upper-cased, without surrounding spaces."""
    return code.strip().upper()


def _counts(uses: Mapping[str, int]) -> dict[str, int]:
    return {normalise(code): count for code, count in uses.items()}


class CouponCheck:
    """The coupon rules of one bundle, by code."""

    def __init__(self, rules: Sequence[Rule], inert: Set[str]) -> None:
        self._by_code = {
            normalise(rule.promotion.coupon.code): rule
            for rule in rules
            if rule.promotion.coupon is not None
        }
        self._inert = inert

    def _limit_problem(self, rule: Rule, ctx: PricingContext) -> CouponRejection | None:
        coupon = rule.promotion.coupon
        assert coupon is not None
        code = normalise(coupon.code)
        if coupon.max_uses is not None and _counts(ctx.coupon_uses).get(code, 0) >= coupon.max_uses:
            return "used_up"
        if coupon.max_uses_per_customer is not None:
            if ctx.customer_id is None:
                return "needs_customer"
            if _counts(ctx.customer_coupon_uses).get(code, 0) >= coupon.max_uses_per_customer:
                return "customer_limit"
        return None

    @staticmethod
    def presented(ctx: PricingContext) -> frozenset[str]:
        """The codes the shopper presented, normalised."""
        return frozenset(normalise(code) for code in ctx.coupon_codes if code.strip())

    @staticmethod
    def state(ctx: PricingContext) -> tuple[object, ...]:
        """Everything whether a coupon is usable depends on, besides its rule."""
        return (
            CouponCheck.presented(ctx),
            ctx.customer_id,
            tuple(sorted(_counts(ctx.coupon_uses).items())),
            tuple(sorted(_counts(ctx.customer_coupon_uses).items())),
        )

    def usable(self, rule: Rule, ctx: PricingContext, presented: frozenset[str]) -> bool:
        """A rule without a coupon, or one whose code was presented and is within its limits."""
        coupon = rule.promotion.coupon
        if coupon is None:
            return True
        return normalise(coupon.code) in presented and self._limit_problem(rule, ctx) is None

    def rejections(
        self,
        ctx: PricingContext,
        moment: Moment,
        qualifies: Callable[[Rule], bool],
        applied: Set[int],
    ) -> tuple[RejectedCoupon, ...]:
        """Every presented code that gave no discount, with the reason, in code order."""
        found: list[RejectedCoupon] = []
        for code in sorted(self.presented(ctx)):
            rule = self._by_code.get(code)
            reason: CouponRejection | None
            if rule is None:
                reason = "unknown"
            elif rule.id in self._inert or not rule.is_live(ctx, moment):
                reason = "not_live"
            else:
                reason = self._limit_problem(rule, ctx)
                if reason is None and rule.index not in applied:
                    reason = "not_best" if qualifies(rule) else "not_qualified"
            if reason is not None:
                english, chinese = _MESSAGES[reason]
                found.append(
                    RejectedCoupon(
                        code, reason, english.format(code=code), chinese.format(code=code)
                    )
                )
        return tuple(found)
