"""Return mode by receipt QR, and carts changed elsewhere arriving over the event stream."""

from __future__ import annotations

import uuid

import pytest

from tests.tui.node import NodeProcess
from tests.tui.pilot import banner, cart, log_in, scan, type_text, wait_for
from tests.tui.screens import screen_text
from tui.app import LaneApp
from tui.screens.returns import ReturnScreen
from tui.screens.sale import SaleScreen
from tui.screens.tender import TenderModal

pytestmark = pytest.mark.anyio

COLA = "6900000000021"  # cola 500ml 6.00 (no promotion)
JUICE = "6900000000045"  # 5.50


async def test_a_return_by_receipt_qr_picks_lines_and_refunds(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, f"3*{COLA}", lines_after=1)
        await scan(pilot, app, JUICE, lines_after=2)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, TenderModal), "the payment dialog")
        await pilot.press("f5")  # exact cash
        await wait_for(pilot, lambda: app.session.sale["settlement"]["settled"], "settled")  # type: ignore[index]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.last_receipt is not None and isinstance(app.screen, SaleScreen), "completion")
        receipt_no = app.session.last_receipt["receipt_no"]  # type: ignore[index]

        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen), "return mode")
        await type_text(pilot, f"storenode:receipt:{receipt_no}")  # what the receipt's QR says
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await wait_for(pilot, lambda: screen.returnable is not None, "the receipt's lines")
        assert "Golden Field Cola 500ml" in screen_text(app) and receipt_no in screen_text(app)
        await pilot.press("f2")  # two of the three colas
        await wait_for(pilot, lambda: app.screen.query("#field-quantity"), "the quantity dialog")
        app.screen.query_one("#field-quantity").value = "2"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.picks == {1: 2}, "the picked quantity")
        await pilot.press("down", "f3")  # and the juice, all of it
        await wait_for(pilot, lambda: screen.picks == {1: 2, 2: 1}, "the whole juice line")
        assert "refund about ¥17.50" in screen_text(app)
        await pilot.press("f5")
        await wait_for(pilot, lambda: "Refunded ¥17.50" in banner(app), "the refund")
        assert "Cash 17.50" in banner(app)
        await wait_for(pilot, lambda: screen.picks == {} and "refund about ¥0.00" in screen_text(app), "the reloaded receipt")
        await pilot.press("down", "f3")  # the juice again: all of it came back already
        await wait_for(pilot, lambda: "Nothing left to return" in banner(app), "the refusal")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SaleScreen), "back to selling")

    returned = node.api("GET", f"/returns/receipts/{receipt_no}", node.token())
    assert [(line["original_line_id"], line["quantity"]) for r in returned["returns"] for line in r["lines"]] == [(1, 2), (2, 1)]


async def test_cart_changes_made_elsewhere_arrive_as_sale_events(node: NodeProcess, lane: int) -> None:
    """The node adds its serial scanners' scans to the lane's cart and says so with `sale` events."""
    app = LaneApp(node.url, lane, "zh-CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, COLA, lines_after=1)
        await wait_for(pilot, lambda: app.session.stream_up, "the event stream")
        other = node.token("102", "2468", lane)
        node.api("POST", f"/sales/{app.session.sale_id}/items", other, code=JUICE, quantity=2)
        await wait_for(pilot, lambda: cart(app).row_keys == ["l1", "l2"], "the line added elsewhere")
        assert "金田橙汁 300毫升" in screen_text(app)
        # a sale completed elsewhere clears the cart here
        sale_id = app.session.sale_id
        node.api("POST", f"/sales/{sale_id}/tenders", other, tender_id=str(uuid.uuid4()), kind="cash", amount=2000, currency="CNY")
        node.api("POST", f"/sales/{sale_id}/complete", other, request_id=str(uuid.uuid4()))
        await wait_for(pilot, lambda: app.session.sale is None and cart(app).row_keys == [], "the cart cleared by the completion")
