"""The main screens as a cashier reads them, in both languages, at 80x24 and larger.

pytest-textual-snapshot is not installed: these compare the rendered text instead, and check
that wide Chinese characters keep the columns aligned.
"""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from tests.tui.node import NodeProcess
from tests.tui.pilot import log_in, scan, wait_for
from tests.tui.screens import screen_text
from tui.app import LaneApp
from tui.screens.help import HelpModal
from tui.screens.login import LoginScreen
from tui.screens.returns import ReturnScreen
from tui.screens.sale import SaleScreen
from tui.screens.tender import TenderModal

pytestmark = pytest.mark.anyio

COLA, RICE, TEA = "6900000000014", "6900000000175", "6900000000069"

WORDS = {
    "en": {
        "login": ["log in", "Operator ID", "PIN", "F1", "Help", "F12", "中文"],
        "sale": ["Item", "Qty", "Price", "Amount", "Subtotal", "Tax 13%", "Total", "Amount due", "Pay", "Void", "Search", "Park", "Resume", "Member", "Return", "Reprint", "No-sale", "X rep", "Close", "Golden Field Cola 330ml"],
        "tender": ["Payment", "Amount due", "Cash", "Card", "Amount received", "F5 ¥"],
        "help": ["Keys", "change the quantity", "add or remove a coupon"],
        "returns": ["RETURN", "Receipt QR or number", "Refund"],
    },
    "zh-CN": {
        "login": ["登录", "工号", "密码", "帮助", "English"],
        "sale": ["商品", "数量", "单价", "金额", "小计", "含税13%", "合计", "应付", "收款", "删除", "查找", "挂单", "取单", "会员", "退货", "重打", "开钱箱", "X报表", "交班", "金田可乐 330毫升", "金田茉莉香米"],
        "tender": ["收款", "应付", "现金", "银行卡", "收款金额", "F5 ¥"],
        "help": ["按键说明", "修改所选行数量", "添加或移除会员"],
        "returns": ["退货", "小票二维码", "退款"],
    },
}


def assert_shows(text: str, words: list[str]) -> None:
    missing = [word for word in words if word not in text]
    assert not missing, f"missing {missing} on the screen:\n{text}"


def cart_columns(text: str, names: list[str]) -> set[tuple[int, ...]]:
    """The cells where quantity, price and amount end, and where the totals border is, on each
    cart line naming one of `names` (aligned columns: one tuple for all lines)."""
    found = set()
    for line in text.splitlines():
        if any(name in line for name in names) and "▏" in line:
            border = line.index("▏")
            ends = [cell_len(line[: m.end()]) for m in re.finditer(r"\S+", line[:border])][-3:]
            found.add((*ends, cell_len(line[:border])))
    return found


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_main_screens_in_both_languages(node: NodeProcess, lane: int, language: str) -> None:
    words = WORDS[language]
    app = LaneApp(node.url, lane, language)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen), "the login screen")
        await pilot.pause()
        assert_shows(screen_text(app), words["login"])
        await log_in(pilot, app)
        await scan(pilot, app, COLA, lines_after=1)
        await scan(pilot, app, RICE, lines_after=2)
        await scan(pilot, app, TEA, lines_after=3)
        text = screen_text(app)
        assert_shows(text, words["sale"])
        assert all(cell_len(line) <= 80 for line in text.splitlines())
        # the amounts column ends in the same cell on every line, Chinese names or not
        assert len(cart_columns(text, ["Cola", "Rice", "Tea", "可乐", "香米", "绿茶"])) == 1

        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, TenderModal), "the payment dialog")
        await pilot.pause()
        assert_shows(screen_text(app), words["tender"])
        await pilot.press("escape")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpModal), "the help screen")
        await pilot.pause()
        assert_shows(screen_text(app), words["help"])
        await pilot.press("escape")
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen), "return mode")
        await pilot.pause()
        assert_shows(screen_text(app), words["returns"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SaleScreen), "the sale screen")


async def test_f12_switches_the_language_everywhere_and_larger_terminals_widen_the_cart(node: NodeProcess, lane: int) -> None:
    app = LaneApp(node.url, lane, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, app)
        await scan(pilot, app, "6900000000175", lines_after=1)
        assert "Golden Field Jasmine Rice 2.5kg" in screen_text(app)  # no room for that at 80 columns
        await pilot.press("f12")
        await wait_for(pilot, lambda: "金田茉莉香米 2.5公斤" in screen_text(app), "Chinese names")
        assert_shows(screen_text(app), ["商品", "合计", "应付", "收款", "English"])
        await pilot.press("f12")
        await wait_for(pilot, lambda: "Amount due" in screen_text(app), "English again")
