"""The engine's view of a cart, made once per immutable sale line and reused while it lasts."""

from __future__ import annotations

from edge.promotions import BasketLines, basket_lines
from tests.unit.test_sale import T0, item, new_sale


def test_a_change_rebuilds_only_the_lines_it_touched() -> None:
    sale = new_sale()
    for n in range(5):
        sale.add_item(item(f"SKU{n}", 100 + n), 1, at=T0)
    remembered = BasketLines(size=100)
    before = remembered(sale)
    assert before == basket_lines(sale)
    sale.change_quantity(2, 3, at=T0)
    sale.void_line(4, at=T0, manager_id="M1")
    sale.override_price(5, 50, manager_id="M1", reason="damaged", at=T0)
    after = remembered(sale)
    assert after == basket_lines(sale)  # what a fresh build says, quantity, void and price included
    assert [line.line_id for line in after] == ["1", "2", "3", "5"]
    assert (after[1].quantity, after[3].unit_price) == (3, 50)
    assert after[0] is before[0] and after[2] is before[2]  # untouched lines: the same objects


def test_a_full_memo_starts_over_and_still_answers_right() -> None:
    sale = new_sale()
    remembered = BasketLines(size=2)
    for n in range(6):
        sale.add_item(item(f"SKU{n}", 100 + n), 1, at=T0)
        assert remembered(sale) == basket_lines(sale)
