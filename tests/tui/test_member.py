"""The member / coupon key against a real node: the demo store's members and coupon SAVE5."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.node import NodeProcess
from tests.tui.pilot import banner, log_in, scan, type_text, wait_for
from tests.tui.screens import screen_text
from tui.app import LaneApp
from tui.screens.form import FormModal
from tui.screens.sale import SaleScreen

pytestmark = pytest.mark.anyio

RICE = "6900000000175"  # 39.90


async def _member_key(pilot: Pilot[None], app: LaneApp, member_id: str | None, coupon: str) -> None:
    await pilot.press("f8")
    await wait_for(pilot, lambda: isinstance(app.screen, FormModal), "the member dialog")
    if member_id is not None:
        app.screen.query_one("#field-member_id").value = member_id  # type: ignore[attr-defined]
    await pilot.press("enter")
    await type_text(pilot, coupon)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, SaleScreen), "the sale screen again")


async def test_a_member_and_a_coupon_price_the_sale_and_come_off_again(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, RICE, lines_after=1)
        await _member_key(pilot, app, "M9999", "")
        await wait_for(pilot, lambda: "no member M9999" in banner(app), "the unknown member named")

        await _member_key(pilot, app, "M1001", "save5")
        await wait_for(pilot, lambda: app.session.sale and app.session.sale["coupons"], "the coupon on the sale")
        sale = app.session.sale
        assert sale is not None and sale["member"] == {"member_id": "M1001", "tier": "gold"}
        assert sale["totals"]["total"] == 3990 - 200 - 500  # gold 5 % (1.995 -> 2.00), then SAVE5
        assert "Coupon SAVE5 on this sale" in banner(app)
        text = screen_text(app)
        assert "M1001" in text and "SAVE5" in text

        await _member_key(pilot, app, "", "-SAVE5")
        await wait_for(pilot, lambda: app.session.sale and not app.session.sale["coupons"], "the coupon off")
        assert app.session.sale["member"] is None and app.session.sale["totals"]["total"] == 3990  # type: ignore[index]


async def test_a_coupon_that_gives_nothing_yet_says_why_in_chinese(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "zh-CN")
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, RICE, lines_after=1)
        await _member_key(pilot, app, None, "SAVE5")  # limited per customer: needs the member first
        await wait_for(pilot, lambda: "优惠券SAVE5需先识别会员" in banner(app), "the reason in Chinese")
        assert app.session.sale is not None and app.session.sale["totals"]["total"] == 3990
