"""A cashier's sales at a lane, driven by keys against a real node process."""

from __future__ import annotations

import pytest

from pos.catalog import gtin13_with_check_digit
from tests.tui.node import NodeProcess
from tests.tui.pilot import banner, cart, log_in, scan, type_text, wait_for
from tests.tui.screens import screen_text
from tui.app import LaneApp
from tui.screens.form import FormModal
from tui.screens.search import SearchModal
from tui.screens.tender import TenderModal

pytestmark = pytest.mark.anyio

COLA = "6900000000014"  # 3.00, VAT13
COLA_500 = "6900000000021"  # 6.00
RICE = "6900000000175"  # 39.90, VAT9
UNKNOWN = gtin13_with_check_digit("690000009999")


async def test_a_sale_scan_totals_and_cash_with_change(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, COLA, lines_after=1)
        await scan(pilot, app, f"2*{RICE}", lines_after=2)
        text = screen_text(app)
        assert "Golden Field Cola 330ml" in text and "Golden Field Jasmine" in text
        assert "82.80" in text  # 3.00 + 2 x 39.90
        assert "Tax 13%" in text and "Tax 9%" in text
        assert app.screen.focused is app.screen.query_one("#scan")

        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, TenderModal), "the payment dialog")
        assert "F5 ¥82.80" in screen_text(app) and "F7 ¥100.00" in screen_text(app)
        await pilot.press("f7")  # a 100 note
        await wait_for(pilot, lambda: app.session.sale and app.session.sale["settlement"]["settled"], "settled")
        assert "17.20" in screen_text(app)  # the change, large
        await pilot.press("enter")  # complete
        await wait_for(pilot, lambda: not isinstance(app.screen, TenderModal), "completion")
        await wait_for(pilot, lambda: "Sale complete" in banner(app), "the completion banner")
        assert "change ¥17.20" in banner(app)
        receipt_no = app.session.last_receipt["receipt_no"]  # type: ignore[index]
        assert "Change" in screen_text(app) and cart(app).row_keys == []

    receipt = node.api("GET", f"/receipts/{receipt_no}", node.token())
    assert receipt["sale"]["state"] == "completed" and receipt["change"] == 1720
    assert [(t["kind"], t["amount"]) for t in receipt["sale"]["tenders"]] == [("cash", 10000)]


async def test_a_sale_with_a_promotion_shows_the_discount_line_naming_it(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, f"3*{COLA}", lines_after=1)  # demo promotion: cola 330ml, buy 2 get 1 free
        await wait_for(pilot, lambda: len(cart(app).row_keys) == 2, "the promotion row")
        text = screen_text(app)
        assert "− Cola 330ml: buy 2 get 1 free" in text and "-3.00" in text
        assert "You save" in text and "6.00" in text
        await pilot.press("f12")
        await wait_for(pilot, lambda: "可乐330毫升 买二送一" in screen_text(app), "the promotion's Chinese name")
        assert "优惠" in screen_text(app)


async def test_a_split_tender_card_then_cash(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, RICE, lines_after=1)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, TenderModal), "the payment dialog")
        await pilot.press("f3")  # card
        amount = app.screen.query_one("#amount")
        amount.value = "20"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await type_text(pilot, "RRN 4711")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.sale and app.session.sale["tenders"], "the card tender")
        assert "Still due ¥19.90" in screen_text(app)
        # the rest in cash: below what is due first, then the rest
        amount.value = "10"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.session.sale["tenders"]) == 2, "the first cash tender")  # type: ignore[index]
        await pilot.press("f10")  # underpaid: refused on screen, the sale intact
        await wait_for(pilot, lambda: "Still due 9.90" in screen_text(app), "the still-due message")
        await pilot.press("f5")  # quick amount: exactly what is due
        await wait_for(pilot, lambda: app.session.sale["settlement"]["settled"], "settled")  # type: ignore[index]
        await pilot.press("f10")
        await wait_for(pilot, lambda: app.session.last_receipt is not None and app.session.sale is None, "completion")
        receipt_no = app.session.last_receipt["receipt_no"]  # type: ignore[index]
        await pilot.press("ctrl+r")  # reprint: the last receipt is offered; this lane has no printer
        await wait_for(pilot, lambda: app.screen.query("#field-receipt"), "the reprint dialog")
        assert app.screen.query_one("#field-receipt").value == receipt_no  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: "has no receipt printer" in banner(app), "the node's answer")

    receipt = node.api("GET", f"/receipts/{receipt_no}", node.token())
    assert [(t["kind"], t["amount"], t["reference"]) for t in receipt["sale"]["tenders"]] == [
        ("card", 2000, "RRN 4711"), ("cash", 1000, ""), ("cash", 990, ""),
    ]


async def test_bad_input_is_shown_and_never_blocks_the_next_scan(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, COLA, lines_after=1)
        await scan(pilot, app, "junk!")
        await wait_for(pilot, lambda: "Not a barcode" in banner(app), "the junk message")
        await scan(pilot, app, UNKNOWN)
        await wait_for(pilot, lambda: UNKNOWN in banner(app), "the unknown-code message")
        await scan(pilot, app, "10002")  # bananas, sold by weight: no scale reading
        await wait_for(pilot, lambda: "scale" in banner(app), "the weighed-item message")
        await scan(pilot, app, COLA_500, lines_after=2)  # the banner never took the focus
        assert app.screen.focused is app.screen.query_one("#scan")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, TenderModal), "the payment dialog")
        await pilot.press("f3")
        app.screen.query_one("#amount").value = "500"  # type: ignore[attr-defined]  # card above what is due
        app.screen.query_one("#reference").value = "RRN 1"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: "500.00" in screen_text(app) and "9.00" in screen_text(app), "the over-tender message")
        assert app.session.sale is not None and app.session.sale["tenders"] == []
        await pilot.press("escape")
        assert cart(app).row_keys == ["l1", "l2"]


async def test_search_as_you_type_adds_the_item_picked(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchModal), "the search dialog")
        await type_text(pilot, "green tea")
        modal = app.screen
        assert isinstance(modal, SearchModal)
        await wait_for(pilot, lambda: len(modal.results) >= 2, "search results")
        assert all("Green Tea" in item["name_en"] for item in modal.results)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: cart(app).row_keys == ["l1"], "the picked item in the cart")
        assert app.session.sale["lines"][0]["sku"] == modal.results[1]["sku"]  # type: ignore[index]


async def test_a_price_override_needs_a_manager_and_a_void_after_tender_too(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, RICE, lines_after=1)
        await scan(pilot, app, COLA, lines_after=2)
        await pilot.press("up")  # the rice line
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.query("#field-unit_price"), "the price dialog")
        app.screen.query_one("#field-unit_price").value = "30"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await type_text(pilot, "damaged bag")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#field-manager_id"), "the manager approval")
        assert "needs a manager" in screen_text(app)
        await type_text(pilot, "100")
        await pilot.press("enter")
        await type_text(pilot, "9753")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.sale["totals"]["total"] == 3000 + 300, "the overridden price")  # type: ignore[index]
        assert "30.00*" in screen_text(app)

        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, TenderModal), "the payment dialog")
        app.screen.query_one("#amount").value = "10"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.sale["tenders"], "a partial tender")  # type: ignore[index]
        await pilot.press("escape")
        await pilot.press("down")  # the cola line
        await pilot.press("f4")  # void after a tender: a manager again; first cancel the approval
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal), "the manager approval")
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Not approved" in banner(app), "the refusal")
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FormModal), "the manager approval")
        await type_text(pilot, "100")
        await pilot.press("enter")
        await type_text(pilot, "9753")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.sale["lines"][1]["voided"], "the voided line")  # type: ignore[index]
        assert "void" in cart(app).rows_text[1]
    journal = node.api("GET", "/ledger/journal?limit=1000", node.token("100", "9753"))
    kinds = {row["kind"]: row["data"] for row in journal if row["data"].get("sale_id") == app.session.sale_id}
    assert kinds["sale.price_overridden"]["manager_id"] == "100" and kinds["sale.line_voided"]["manager_id"] == "100"


async def test_suspend_and_resume(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, COLA_500, lines_after=1)
        parked = app.session.sale_id
        await pilot.press("f6")
        await wait_for(pilot, lambda: "parked" in banner(app) and cart(app).row_keys == [], "the parked sale")
        await scan(pilot, app, COLA, lines_after=1)  # the next customer meanwhile
        await pilot.press("f7")
        await wait_for(pilot, lambda: "Finish or park" in banner(app), "refusal while a sale is open")
        await pilot.press("ctrl+d")  # cancel the other sale
        await wait_for(pilot, lambda: app.screen.query("#field-reason"), "the cancel reason")
        await type_text(pilot, "walked away")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.sale is None, "the cancelled sale")
        await pilot.press("f7")
        await wait_for(pilot, lambda: app.screen.query("#parked") and app.screen.query_one("#parked").option_count, "the parked list")
        options = app.screen.query_one("#parked")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]  # type: ignore[attr-defined]
        index = next(i for i, label in enumerate(labels) if f"Lane {lane}" in label and "Cola 500ml" in label)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.sale_id == parked and cart(app).row_keys == ["l1"], "the resumed sale")
        assert "resumed" in banner(app)
