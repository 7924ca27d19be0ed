"""The cart redraws only what changed: whatever the node sends next (a line more, discounts
appearing under earlier lines, a void, a quantity, lines in another order, fewer lines), the
screen must show what a cart drawn from nothing would show. First the cart alone in an app, fed
sales shaped as the node shapes them; then the lane app against a real node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

import tui.app
from tests.tui.node import NodeProcess
from tests.tui.pilot import cart as cart_of
from tests.tui.pilot import log_in, scan, wait_for
from tests.tui.screens import cart_drawn_afresh, cart_on_screen
from tui.app import LaneApp
from tui.i18n import Messages
from tui.screens.sale import SaleScreen
from tui.widgets.cart import CartTable

pytestmark = pytest.mark.anyio

COLA, COLA_500, RICE = "6900000000014", "6900000000021", "6900000000175"  # 3.00, 6.00, 39.90
NAMES = [("Cola 330ml", "可乐 330毫升"), ("Jasmine Rice 2.5kg", "茉莉香米 2.5公斤"), ("Green Tea", "绿茶"), ("Orange Juice", "橙汁")]


class CartApp(App[None]):
    CSS_PATH = str(Path(tui.app.__file__).with_name("styles") / "lane.tcss")

    def __init__(self, language: str = "en") -> None:
        super().__init__()
        self.messages = Messages(language)

    def compose(self) -> ComposeResult:
        yield CartTable(self.messages, id="cart")


def a_sale(lines: list[dict[str, Any]], *, version: int, threshold: bool = False) -> dict[str, Any]:
    """A sale as the node sends it; `threshold`: a spend-X-save-Y promotion spread over every
    live line (so one scan changes the rows under all the lines before it)."""
    discounts: dict[str, Any] = {}
    amounts = []
    for line in lines:
        gross = line["unit_price"] * line["quantity"]
        off = gross // 10 if threshold and not line["voided"] else 0
        if off:
            discounts[str(line["line_id"])] = {"amount": off, "promotions": [{"promotion_id": "T1", "amount": off, "name_en": "Spend 100 save 10", "name_zh": "满100减10"}]}
        if not line["voided"]:
            amounts.append({"line_id": line["line_id"], "amount": gross - off, "gross": gross})
    return {
        "sale_id": "s1", "currency": "CNY", "state": "open", "version": version, "tenders": [], "lines": lines,
        "discounts": discounts, "totals": {"lines": amounts, "classes": [], "subtotal": 0, "discount": 0, "total": 0},
        "settlement": {"non_cash": 0, "cash_tendered": 0, "balance_due": 0, "settled": False},
    }


def a_line(line_id: int, quantity: int = 1, *, voided: bool = False) -> dict[str, Any]:
    name_en, name_zh = NAMES[line_id % len(NAMES)]
    return {"line_id": line_id, "sku": f"P{line_id}", "name_en": f"{name_en} #{line_id}", "name_zh": f"{name_zh} #{line_id}",
            "quantity": quantity, "unit_price": 100 * (line_id % 7 + 1), "weighed": False, "override": None, "voided": voided}


async def show(pilot: Pilot[None], cart: CartTable, sale: dict[str, Any] | None) -> None:
    cart.show_sale(sale)
    await pilot.pause()
    assert cart_on_screen(pilot.app) == cart_drawn_afresh(pilot.app)
    assert 0 <= cart.cursor_row < max(1, cart.row_count)


def newest_line_in_view(cart: CartTable) -> bool:
    top, in_view = cart.scroll_offset.y, cart.scrollable_content_region.height - 1
    return top <= cart.cursor_row < top + in_view and cart.row_keys[cart.cursor_row] == max(
        (key for key in cart.row_keys if key.startswith("l")), key=lambda key: int(key[1:])
    )


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_every_change_the_node_can_send_is_drawn_as_a_fresh_cart_would_be(language: str) -> None:
    app = CartApp(language)
    async with app.run_test(size=(70, 16)) as pilot:
        cart = app.query_one(CartTable)
        lines: list[dict[str, Any]] = []
        version = 0
        for line_id in range(1, 21):  # scans: one line more each time; the cart outgrows its box
            lines.append(a_line(line_id))
            version += 1
            await show(pilot, cart, a_sale(lines, version=version))
            assert newest_line_in_view(cart), f"line {line_id} scanned but not in view"
        version += 1  # the next scan crosses a threshold: a promotion row under every line
        lines.append(a_line(21))
        await show(pilot, cart, a_sale(lines, version=version, threshold=True))
        assert cart.row_count == 42 and newest_line_in_view(cart)
        assert cart.row_keys[-2:] == ["l21", "d21.0"]
        for index, field, value in (
            (19, "voided", True),  # a void just above the newest line: its promotion row goes
            (20, "quantity", 3),  # a quantity on a line in view
            (2, "quantity", 2),  # and on a line scrolled out of view
        ):
            lines[index][field] = value
            version += 1
            await show(pilot, cart, a_sale(lines, version=version, threshold=True))
        for _ in range(40):  # the cashier scrolls to the top: what was out of view is drawn right
            cart.move_cursor(row=cart.cursor_row - 1)
        await pilot.pause()
        assert cart.scroll_offset.y == 0 and cart.cursor_row == 0
        assert cart_on_screen(app) == cart_drawn_afresh(app)
        assert "2" in cart_on_screen(app)[cart.row_keys.index("l3")].split()
        version += 1  # the same lines in another order, fewer of them, the threshold gone
        lines = list(reversed(lines[5:12]))
        await show(pilot, cart, a_sale(lines, version=version))
        assert cart.row_keys == [f"l{line['line_id']}" for line in lines]
        await show(pilot, cart, None)  # sale over: an empty cart
        assert cart.row_count == 0 and cart_on_screen(app) == [""] * (cart.scrollable_content_region.height - 1)


async def test_the_cursor_stays_where_the_cashier_put_it_until_the_cart_grows() -> None:
    app = CartApp()
    async with app.run_test(size=(70, 16)) as pilot:
        cart = app.query_one(CartTable)
        lines = [a_line(line_id) for line_id in range(1, 31)]
        await show(pilot, cart, a_sale(lines, version=1))
        cart.move_cursor(row=4)  # far above the fold: scrolled to
        await pilot.pause()
        assert cart.selected_line_id() == 5 and cart.scroll_offset.y <= 4
        lines[4]["quantity"] = 5  # the cashier changed that line's quantity
        await show(pilot, cart, a_sale(lines, version=2))
        assert cart.selected_line_id() == 5
        lines.append(a_line(31))  # the next scan: the cursor follows the newest line again
        await show(pilot, cart, a_sale(lines, version=3))
        assert cart.selected_line_id() == 31 and newest_line_in_view(cart)
        for size in [(100, 20), (60, 10), (70, 16)]:  # a resized terminal: other name widths, the cursor kept in view
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert cart.selected_line_id() == 31 and newest_line_in_view(cart)
            assert cart_on_screen(app) == cart_drawn_afresh(app)
        cart.relabel(Messages("zh-CN"))  # the language key: every row again, the cursor kept
        cart.move_cursor(row=10)
        cart.relabel(Messages("en"))
        await pilot.pause()
        assert cart.selected_line_id() == 11 and cart_on_screen(app) == cart_drawn_afresh(app)
        await show(pilot, cart, a_sale(lines[:3], version=4))  # much shorter: cursor and scroll come back
        assert cart.cursor_row == 2 and cart.scroll_offset.y == 0


async def test_a_scan_that_changes_the_discounts_of_earlier_lines_with_a_real_node(node: NodeProcess, lane: int) -> None:
    """The demo store's spend-100-save-10 spreads over every line: the scan that crosses 100
    puts a promotion row under each earlier line; a void or a quantity on an earlier line
    changes them again. The screen always matches a cart drawn afresh."""
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)

        async def settled(what: str) -> None:
            await wait_for(pilot, lambda: not app.session.pending and cart_of(app).sale is app.session.sale and cart_on_screen(app) == cart_drawn_afresh(app), what)

        for n, code in enumerate([COLA_500, COLA, RICE, RICE], start=1):
            await scan(pilot, app, code, lines_after=n)
            await settled(f"scan {n}")
        assert not [key for key in cart_of(app).row_keys if key.startswith("d")]  # 88.80: no threshold yet
        await scan(pilot, app, RICE, lines_after=5)  # 128.70
        await settled("the threshold crossed")
        assert [key for key in cart_of(app).row_keys if key.startswith("d")] == [f"d{n}.0" for n in range(1, 6)]
        assert cart_of(app).selected_line_id() == 5

        await pilot.press("up", "up", "up", "up", "up", "up")  # line 2 (cola 330ml), two rows per line
        assert cart_of(app).selected_line_id() == 2
        await pilot.press("f4")  # void it: its row says so and its promotion row goes
        await wait_for(pilot, lambda: app.session.sale["lines"][1]["voided"], "the void")  # type: ignore[index]
        await settled("the void")
        assert "d2.0" not in cart_of(app).row_keys and "void" in cart_on_screen(app)[2]

        await pilot.press("up", "up")  # line 1: three of them
        assert cart_of(app).selected_line_id() == 1
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.query("#field-quantity"), "the quantity dialog")
        app.screen.query_one("#field-quantity").value = "3"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.sale["lines"][0]["quantity"] == 3, "the new quantity")  # type: ignore[index]
        await settled("the quantity")
        assert cart_of(app).selected_line_id() == 1  # the cursor stayed on the line the cashier changed
        screen = app.screen
        assert isinstance(screen, SaleScreen) and screen._lane_frame_timer is not None  # frames paced by the lane's timer
