"""edge.cart_view: the lane's view of a cart is what the node saves, rendered once per version."""

from __future__ import annotations

from edge import fastjson
from edge.cart_view import cart_from_saved, sale_json, sale_view, saved_cart
from pos.sale import Sale
from pos.tax import LineDiscount, PromotionShare
from pos.tender import cash
from tests.unit.test_sale import APPLES, PRICING, T0, item


def _discounted_sale() -> Sale:
    sale = Sale.open(sale_id="S1", store_id="ST1", lane_id="3", cashier_id="C7", currency="CNY", pricing=PRICING, at=T0)
    milk = sale.add_item(item(), 3, at=T0, code="6901234567892")
    apples = sale.add_weighed(APPLES, 500, at=T0, scale_id="SC1")
    share = PromotionShare("P1", 120, "Milk deal", "牛奶优惠")
    sale.apply_discounts({milk.line_id: LineDiscount(120, (share,)), apples.line_id: LineDiscount(15)}, at=T0)
    sale.add_tender(cash("T1", 1000, "CNY"), at=T0)
    return sale


def test_a_cart_read_back_from_its_view_is_the_same_cart() -> None:
    sale = _discounted_sale()
    from_view = Sale.from_dict(fastjson.loads(sale_json(sale).json))
    assert from_view.to_dict() == sale.to_dict()
    assert from_view.totals() == sale.totals() and from_view.discounts == sale.discounts


def test_a_cart_saved_before_views_were_saved_still_reads() -> None:
    sale = _discounted_sale()
    assert Sale.from_dict(sale.to_dict()).to_dict() == sale.to_dict()  # discounts as a list with line ids


def test_one_rendering_per_version_of_one_cart() -> None:
    sale = _discounted_sale()
    first = sale_json(sale)
    assert sale_json(sale) is first
    assert fastjson.loads(first.json) == fastjson.loads(fastjson.dumps(sale_view(sale)))
    sale.add_item(item("BREAD", 450), 1, at=T0)
    changed = sale_json(sale)
    assert changed is not first and [line["sku"] for line in fastjson.loads(changed.json)["lines"]][-1] == "BREAD"


def test_another_cart_object_at_the_same_version_is_rendered_afresh() -> None:
    """As after a command that failed: its cart had the next version, never saved, and the
    next command's cart reaches the same version with other contents."""
    sale = _discounted_sale()
    failed = Sale.from_dict(sale.to_dict())
    failed.add_item(item("BREAD", 450), 1, at=T0)
    sale_json(failed)
    retried = Sale.from_dict(sale.to_dict())
    retried.add_item(item("EGGS", 900), 1, at=T0)
    assert retried.version == failed.version
    assert fastjson.loads(sale_json(retried).json)["lines"][-1]["sku"] == "EGGS"


def test_a_rendered_view_is_written_as_it_is_inside_other_json() -> None:
    sale = _discounted_sale()
    wrapped = fastjson.loads(fastjson.dumps({"receipt_no": "R1", "sale": sale_json(sale)}))
    assert wrapped["sale"] == fastjson.loads(sale_json(sale).json) and wrapped["receipt_no"] == "R1"


def test_a_saved_cart_is_its_view_deflated_and_reads_back() -> None:
    sale = _discounted_sale()
    for n in range(40):
        sale.add_item(item(f"SKU{n}", 100 + n), 1, at=T0)
    saved = saved_cart(sale)
    assert isinstance(saved, bytes) and len(saved) * 3 < len(sale_json(sale).json)
    assert cart_from_saved(saved).to_dict() == sale.to_dict()


def test_a_cart_saved_as_json_text_before_deflating_still_reads() -> None:
    sale = _discounted_sale()
    assert cart_from_saved(fastjson.dumps_text(sale.to_dict())).to_dict() == sale.to_dict()
    assert cart_from_saved(sale_json(sale).json).to_dict() == sale.to_dict()  # undeflated bytes too


def test_a_cart_that_is_over_is_rendered_but_not_kept() -> None:
    from edge import cart_view

    sale = _discounted_sale()
    sale_json(sale)
    assert sale.sale_id in cart_view._rendered
    sale.void_tender("T1", at=T0, manager_id="M1")
    sale.cancel(at=T0, manager_id="M1")
    assert fastjson.loads(sale_json(sale).json)["state"] == "cancelled"
    assert sale.sale_id not in cart_view._rendered


def test_a_line_is_rendered_once_while_its_cart_keeps_it() -> None:
    from edge import cart_view

    sale = _discounted_sale()
    sale_json(sale)
    milk = sale.lines[0]
    first = cart_view._rendered[sale.sale_id].parts[id(milk)][1]
    sale.add_item(item("BREAD", 450), 1, at=T0)
    sale_json(sale.copy())  # the next command's cart: another object, the same lines
    assert cart_view._rendered[sale.sale_id].parts[id(milk)][1] is first
    sale.void_line(milk.line_id, at=T0, manager_id="M1")  # the voided line is a new object: the old one goes
    sale_json(sale)
    kept = cart_view._rendered[sale.sale_id].parts
    assert all(part is not milk for part, _ in kept.values()) and len(kept) == len(sale.lines) + len(sale.discounts)


def test_a_cart_only_read_leaves_the_kept_view_alone() -> None:
    from edge import cart_view

    sale = _discounted_sale()
    kept = sale_json(sale)
    read = sale_json(cart_from_saved(saved_cart(sale)), keep=False)  # a look at the saved cart
    assert read.json == kept.json and cart_view._rendered[sale.sale_id].sale is sale
    assert sale_json(sale) is kept


def test_the_cart_rendered_longest_ago_is_let_go_first() -> None:
    from edge import cart_view

    try:
        for n in range(cart_view._RENDERED_MAX + 1):
            cart = Sale.open(sale_id=f"LRU{n}", store_id="ST1", lane_id="3", cashier_id="C7", currency="CNY", pricing=PRICING, at=T0)
            sale_json(cart)
        assert list(cart_view._rendered) == [f"LRU{n}" for n in range(1, cart_view._RENDERED_MAX + 1)]
    finally:
        cart_view._rendered.clear()
