"""The lane terminal's pieces that need no node: words, money, scans, SSE, error mapping, cart rows."""

from __future__ import annotations

import string

import httpx
import pytest
from rich.cells import cell_len

from tests.support.store import free_port
from tui.api import (
    NeedsManager,
    NodeClient,
    NodeRefused,
    NodeUnreachable,
    SessionExpired,
    parse_sse,
)
from tui.i18n import LANGUAGES, Messages, catalog, fit, money, normalize_language, parse_money
from tui.scans import parse_scan
from tui.screens.tender import quick_amounts
from tui.widgets.cart import cart_rows
from tui.widgets.totals import totals_text


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    en, zh = catalog("en"), catalog("zh-CN")
    assert set(en) == set(zh)
    assert {k for k in en if fields_of(en[k]) != fields_of(zh[k])} == set()
    assert LANGUAGES == ("zh-CN", "en") and normalize_language("zh_CN") == "zh-CN" and normalize_language("en-US") == "en"
    with pytest.raises(ValueError, match="unknown language"):
        normalize_language("fr")
    assert Messages("en")("no.such.key") == "no.such.key"


def test_fit_cuts_and_pads_by_terminal_cells() -> None:
    assert fit("金田可乐 330毫升", 10) == "金田可乐 …" and fit("金田可乐", 7) == "金田可…"
    assert all(cell_len(fit(text, 9)) == 9 for text in ("金田可乐 330毫升", "Cola", "", "可乐可乐可乐"))
    assert fit("3.00", 8, "right") == "    3.00"


def test_money_in_and_out() -> None:
    assert money(1234) == "12.34" and money(-5) == "-0.05" and money(100000, "CNY", symbol=True) == "¥1000.00"
    assert money(500, "JPY") == "500"
    assert parse_money("12") == 1200 and parse_money("12.5") == 1250 and parse_money("¥0.99") == 99 and parse_money(".5") == 50
    for bad in ("", "abc", "1.234", "-3", "1e3", "999999999"):
        with pytest.raises(ValueError):
            parse_money(bad)


def test_scans_are_checked_before_they_reach_the_node() -> None:
    assert parse_scan(" 6900000000014 ").code == "6900000000014"
    three = parse_scan("3*6900000000014")
    assert (three.code, three.quantity, three.label) == ("6900000000014", 3, "3*6900000000014")
    for junk in ("", "   ", "junk!", "a b", "x" * 65, "0*123", "\x1b[A"):
        with pytest.raises(ValueError):
            parse_scan(junk)


def test_quick_cash_amounts_round_up_to_notes() -> None:
    assert quick_amounts(1234) == [1234, 2000, 5000, 10000]
    assert quick_amounts(5000) == [5000, 6000, 10000]
    assert quick_amounts(0) == []


def test_server_sent_events_are_parsed() -> None:
    event = parse_sse(["id: 7", "event: sale", 'data: {"lane": 1, "version": 3}'])
    assert event is not None and (event.kind, event.id, event.data) == ("sale", "7", {"lane": 1, "version": 3})
    assert parse_sse([": ping"]) is None
    assert parse_sse(["event: alarm", "data: disk nearly full"]).data == {"text": "disk nearly full"}  # type: ignore[union-attr]


def answering(status: int, body: object = None, text: str = "") -> NodeClient:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status, text=text)

    return NodeClient("http://node.invalid", transport=httpx.MockTransport(handler))


@pytest.mark.anyio
async def test_answers_become_errors_a_cashier_can_act_on() -> None:
    with pytest.raises(NodeRefused, match="the node answered 500 Internal Server Error") as failed:
        await answering(500, text="Traceback ...").request("GET", "/x")
    assert failed.value.status == 500
    with pytest.raises(NeedsManager, match="needs a manager"):
        await answering(403, {"error": "not_allowed", "message": "a price override needs a manager"}).request("POST", "/x")
    with pytest.raises(SessionExpired):
        await answering(401, {"error": "unauthorized", "message": "token expired"}).request("GET", "/x")
    with pytest.raises(NodeRefused) as invalid:
        await answering(422, {"error": "invalid_input", "message": "body.quantity: too big", "fields": [{"field": "body.quantity"}]}).request("POST", "/x")
    assert invalid.value.fields == [{"field": "body.quantity"}] and not isinstance(invalid.value, NeedsManager)
    with pytest.raises(NodeUnreachable, match="not answering") as down:
        await NodeClient(f"http://127.0.0.1:{free_port()}").request("GET", "/x")
    assert down.value.maybe_applied is False


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


SALE = {
    "sale_id": "s1", "currency": "CNY", "state": "open", "version": 4, "tenders": [],
    "lines": [
        {"line_id": 1, "sku": "P1", "name_en": "Cola", "name_zh": "可乐", "quantity": 3, "unit_price": 300, "weighed": False, "override": None, "voided": False},
        {"line_id": 2, "sku": "W2", "name_en": "Bananas", "name_zh": "香蕉", "quantity": 1250, "unit_price": 698, "weighed": True, "override": None, "voided": False},
        {"line_id": 3, "sku": "P3", "name_en": "Tea", "name_zh": "茶", "quantity": 1, "unit_price": 350, "weighed": False, "override": None, "voided": True},
    ],
    "discounts": {"1": {"amount": 300, "promotions": [{"promotion_id": "B3", "amount": 300, "name_en": "3 for 2 cola", "name_zh": "可乐买二送一"}]}},
    "totals": {
        "lines": [{"line_id": 1, "amount": 900, "gross": 600}, {"line_id": 2, "amount": 873, "gross": 873}],
        "classes": [{"tax_class": "VAT13", "rate_bp": 1300, "tax": 69}, {"tax_class": "VAT0", "rate_bp": 0, "tax": 0}],
        "subtotal": 1773, "discount": 300, "total": 1473,
    },
    "settlement": {"non_cash": 0, "cash_tendered": 0, "balance_due": 1473, "cash_balance_due": 1473, "settled": False, "change": 0},
}


@pytest.mark.parametrize(("language", "promotion", "voided"), [("en", "3 for 2 cola", "void"), ("zh-CN", "可乐买二送一", "已删")])
def test_cart_rows_name_the_promotion_and_weigh_in_kilograms(language: str, promotion: str, voided: str) -> None:
    rows = cart_rows(SALE, Messages(language), 20)
    assert [key for key, _, _ in rows] == ["l1", "d1.0", "l2", "l3"]
    assert rows[1][1] == "discount" and promotion in rows[1][2][0] and rows[1][2][3] == "-3.00"
    assert rows[2][2][1] == "1.250kg" and rows[2][2][3] == "8.73"
    assert rows[3][1] == "void" and rows[3][2][3] == voided
    assert all(cell_len(cells[0]) == 20 for _, _, cells in rows)
    totals = totals_text(SALE, Messages(language)).plain
    assert ("You save" if language == "en" else "优惠") in totals and "-3.00" in totals and "14.73" in totals


def test_a_report_shows_when_its_shift_opened_in_the_lanes_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from tui.screens.report import report_lines

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        lines = report_lines({"shift_id": "SH1", "cashier_id": "101", "opened_at": "2026-11-23T00:30:00.000000+00:00"}, Messages("en"))
        assert any(line.endswith("11-23 08:30") for line in lines)  # stored in UTC, shown in Shanghai time
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
