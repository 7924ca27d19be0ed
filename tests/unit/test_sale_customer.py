"""A sale's member and coupons: attached, saved, counted only when their promotion applied."""

from __future__ import annotations

import pytest

from pos.errors import Conflict, InvalidInput, NotFound
from pos.sale import Sale, SaleCoupon, SaleEventName, SaleMember
from pos.sale_customer import MAX_COUPONS, coupon_code
from pos.tax import LineDiscount, PromotionShare
from tests.unit.test_sale import T0, item, new_sale

SAVE5 = SaleCoupon("SAVE5", "p-save5", max_uses=1)
GOLD = SaleMember("M1001", "gold")


def test_member_and_coupons_are_attached_saved_and_logged() -> None:
    sale = new_sale()
    sale.add_item(item(), at=T0)
    sale.pull_events()
    sale.attach_member(GOLD, at=T0)
    sale.attach_member(GOLD, at=T0)  # a retried attach changes nothing
    sale.add_coupon(SAVE5, at=T0)
    sale.add_coupon(SAVE5, at=T0)
    assert [e.name for e in sale.pull_events()] == [SaleEventName.MEMBER_ATTACHED, SaleEventName.COUPON_ADDED]
    again = Sale.from_dict(sale.to_dict())
    assert again.member == GOLD and again.coupons == (SAVE5,) and again.coupon_codes == ("SAVE5",)
    assert sale.to_dict()["member"] == {"member_id": "M1001", "tier": "gold"}


def test_another_member_replaces_the_first_and_detach_forgets_it() -> None:
    sale = new_sale()
    sale.attach_member(GOLD, at=T0)
    sale.attach_member(SaleMember("M2002", "silver"), at=T0)
    replaced = sale.pull_events()[-1]
    assert replaced.data["replaced"] == "M1001" and sale.member is not None and sale.member.tier == "silver"
    sale.detach_member(at=T0)
    sale.detach_member(at=T0)
    assert sale.member is None and [e.name for e in sale.pull_events()] == [SaleEventName.MEMBER_DETACHED]


def test_changes_drop_the_discounts_for_repricing() -> None:
    sale = new_sale()
    sale.add_item(item(), at=T0)
    sale.apply_discounts({1: LineDiscount(50, (PromotionShare("p-save5", 50, "Save", "减"),))}, at=T0)
    sale.add_coupon(SAVE5, at=T0)
    assert sale.discounts == {}


def test_only_coupons_whose_promotion_applied_are_used() -> None:
    sale = new_sale()
    sale.add_item(item(), at=T0)
    other = SaleCoupon("TEN", "p-ten")
    sale.add_coupon(SAVE5, at=T0)
    sale.add_coupon(other, at=T0)
    sale.apply_discounts({1: LineDiscount(50, (PromotionShare("p-save5", 50, "Save", "减"),))}, at=T0)
    assert sale.coupons_used() == (SAVE5,)


def test_remove_coupon_and_bad_input_name_the_code() -> None:
    sale = new_sale()
    sale.add_coupon(SAVE5, at=T0)
    with pytest.raises(NotFound, match="coupon NOPE is not on sale S1"):
        sale.remove_coupon("NOPE", at=T0)
    sale.remove_coupon("SAVE5", at=T0)
    assert sale.coupons == ()
    for n in range(MAX_COUPONS):
        sale.add_coupon(SaleCoupon(f"C{n}", f"p{n}"), at=T0)
    with pytest.raises(InvalidInput, match=r"at most 10 coupons.*EXTRA"):
        sale.add_coupon(SaleCoupon("EXTRA", "px"), at=T0)
    with pytest.raises(InvalidInput, match="member id 'bad id!'"):
        SaleMember("bad id!", "gold")
    with pytest.raises(InvalidInput, match="coupon code is empty"):
        coupon_code("  ")
    assert coupon_code(" save5 ") == "SAVE5"


def test_a_closed_sale_takes_no_member_or_coupon() -> None:
    sale = new_sale()
    sale.add_item(item(), at=T0)
    sale.suspend(at=T0)
    with pytest.raises(Conflict, match="cannot attach a member: sale S1 is suspended"):
        sale.attach_member(GOLD, at=T0)
    with pytest.raises(Conflict, match="cannot add a coupon"):
        sale.add_coupon(SAVE5, at=T0)


def test_an_old_snapshot_without_member_or_coupons_still_loads() -> None:
    data = new_sale().to_dict()
    del data["member"], data["coupons"]
    loaded = Sale.from_dict(data)
    assert loaded.member is None and loaded.coupons == ()
