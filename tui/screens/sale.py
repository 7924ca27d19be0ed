"""The sale screen: the scan field (always focused), the cart, the totals and the lane's keys."""

from __future__ import annotations

import gc
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from tui.api import Json
from tui.i18n import money
from tui.scans import PendingScan
from tui.screens.base import LaneScreen
from tui.screens.form import (
    money_form,
    price_form,
    quantity_form,
    reason_form,
    receipt_form,
)
from tui.widgets.banner import Banner
from tui.widgets.cart import CartTable
from tui.widgets.keybar import KeyBar
from tui.widgets.status import StatusLine
from tui.widgets.totals import TotalsPanel

RECEIPT_PREFIX = "storenode:receipt:"


class SaleScreen(LaneScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "quantity", "key.quantity"),
        Binding("f3", "search", "key.search"),
        Binding("f4", "void", "key.void"),
        Binding("f5", "pay", "key.pay"),
        Binding("f6", "suspend", "key.suspend"),
        Binding("f7", "resume", "key.resume"),
        Binding("f8", "member", "key.member"),
        Binding("f9", "returns", "key.returns"),
        Binding("f10", "complete", "key.complete"),
        Binding("ctrl+p", "price", "key.price", priority=True),
        Binding("ctrl+r", "reprint", "key.reprint", priority=True),
        Binding("ctrl+n", "no_sale", "key.no_sale", priority=True),
        Binding("ctrl+x", "x_report", "key.x_report", priority=True),
        Binding("ctrl+z", "close_shift", "key.close_shift", priority=True),
        Binding("ctrl+d", "cancel_sale", "key.cancel_sale", priority=True),
        Binding("ctrl+l", "logout", "key.logout", priority=True),
        Binding("f1", "app.help", "key.help"),
        Binding("f12", "app.language", "key.language"),
        Binding("up", "cursor(-1)", show=False, priority=True),
        Binding("down", "cursor(1)", show=False, priority=True),
        Binding("pageup", "cursor(-10)", show=False, priority=True),
        Binding("pagedown", "cursor(10)", show=False, priority=True),
        Binding("escape", "clear_scan", show=False),
    ]

    show_change = False  # after a completed sale the totals show its change until the next scan

    def compose(self) -> ComposeResult:
        yield StatusLine(self.session, self.t, id="status")
        yield Banner(id="banner")
        with Horizontal(id="main"):
            yield CartTable(self.t, id="cart")
            yield TotalsPanel(self.t, id="totals")
        yield Static(id="queue")
        yield Input(placeholder=self.t("scan.placeholder"), id="scan", max_length=80)
        yield KeyBar(self.BINDINGS, self.t, id="keys")

    @property
    def cart(self) -> CartTable:
        return self.query_one(CartTable)

    @property
    def scan_field(self) -> Input:
        return self.query_one("#scan", Input)

    def on_mount(self) -> None:
        self.scan_field.focus()
        self.session_changed("all")
        # what exists now lives as long as the lane: keep it out of the collector's full passes,
        # which otherwise pause a busy lane for a quarter of a second now and then
        gc.freeze()

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        if self.is_current and self.focused is None:
            self.scan_field.focus()

    # -- redrawing ---------------------------------------------------------------------------

    def relabel(self) -> None:
        self.query_one(StatusLine).show(self.t)
        self.cart.relabel(self.t)
        self.query_one(TotalsPanel).relabel(self.t)
        self.query_one(KeyBar).show(self.t)
        self.scan_field.placeholder = self.t("scan.placeholder")
        self.query_one(Banner).render_notice(self.t)
        self._show_queue()

    def session_changed(self, what: str) -> None:
        session = self.session
        if what in ("sale", "all"):
            self.cart.show_sale(session.sale)
            change_of = session.last_receipt if session.sale is None and self.show_change else None
            self.query_one(TotalsPanel).show_sale(session.sale, change_of)
        if what in ("queue", "all"):
            self._show_queue()
        if what in ("status", "all", "scan"):
            self.query_one(StatusLine).show()

    def _show_queue(self) -> None:
        pending = self.session.pending
        queue = self.query_one("#queue", Static)
        # one scan in flight is normal; more, or any while offline, is a queue worth showing
        if len(pending) > 1 or (pending and self.session.connection != "online"):
            codes = ", ".join(p.label for p in list(pending)[:4]) + (" …" if len(pending) > 4 else "")
            queue.update(self.t("queue.waiting", count=len(pending), codes=codes))
            queue.display = True
        elif queue.display:
            queue.display = False

    # -- scanning ----------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.scan_field.value = ""
        if not text:
            return
        if text.startswith(RECEIPT_PREFIX):
            self.say("warn", "scan.receipt_hint", receipt=text.removeprefix(RECEIPT_PREFIX))
            return
        self.show_change = False
        self.session.scan(text)

    def action_clear_scan(self) -> None:
        self.scan_field.value = ""

    def action_cursor(self, step: int) -> None:
        cart = self.cart
        if cart.row_count:
            cart.move_cursor(row=max(0, min(cart.row_count - 1, cart.cursor_row + step)), animate=False)

    # -- lines -------------------------------------------------------------------------------

    def _selected(self) -> Json | None:
        line_id = self.cart.selected_line_id()
        sale = self.session.sale
        if line_id is None or sale is None:
            self.say("warn", "cart.pick_line")
            return None
        return next((line for line in sale["lines"] if int(line["line_id"]) == line_id), None)

    @work(group="action", exit_on_error=False)
    async def action_quantity(self) -> None:
        line = self._selected()
        if line is None:
            return
        values = await self.app.push_screen_wait(quantity_form(int(line["quantity"]), self.t.item_name(line)))
        if values is not None:
            await self.attempt(lambda ap: self.session.sale_call("PATCH", f"/lines/{line['line_id']}", {"quantity": values["quantity"]}, ap))

    @work(group="action", exit_on_error=False)
    async def action_void(self) -> None:
        line = self._selected()
        if line is None:
            return
        voided = await self.attempt(lambda ap: self.session.sale_call("POST", f"/lines/{line['line_id']}/void", None, ap))
        if voided is not None:
            self.say("info", "cart.voided_line", name=self.t.item_name(line))

    @work(group="action", exit_on_error=False)
    async def action_price(self) -> None:
        line = self._selected()
        if line is None:
            return
        values = await self.app.push_screen_wait(price_form(self.t.item_name(line), money(int(line["unit_price"]), self.session.currency)))
        if values is not None:
            body = {"unit_price": values["unit_price"], "reason": values["reason"]}
            await self.attempt(lambda ap: self.session.sale_call("POST", f"/lines/{line['line_id']}/price", body, ap))

    @work(group="action", exit_on_error=False)
    async def action_search(self) -> None:
        from tui.screens.search import SearchModal

        sku = await self.app.push_screen_wait(SearchModal())
        if sku:
            self.session.queue(PendingScan(code=None, sku=sku))

    # -- the sale ----------------------------------------------------------------------------

    def _has_items(self) -> bool:
        sale = self.session.sale
        return sale is not None and any(not line.get("voided") for line in sale["lines"])

    @work(group="action", exit_on_error=False)
    async def action_pay(self) -> None:
        from tui.screens.tender import TenderModal

        if not self._has_items():
            self.say("warn", "sale.empty")
            return
        done = await self.app.push_screen_wait(TenderModal())
        if done:
            self._completed(done)

    @work(group="action", exit_on_error=False)
    async def action_complete(self) -> None:
        sale = self.session.sale
        if not self._has_items() or sale is None:
            self.say("warn", "sale.empty")
            return
        if not sale["settlement"]["settled"]:
            self.say("warn", "sale.still_due", due=money(int(sale["settlement"]["balance_due"]), self.session.currency))
            return
        done = await self.attempt(lambda _ap: self.session.complete())
        if done:
            self._completed(done)

    def _completed(self, done: Json) -> None:
        self.show_change = True
        currency = str(done["sale"].get("currency", "CNY"))
        self.say("info", "sale.completed", receipt=done["receipt_no"], change=money(int(done["change"]), currency, symbol=True))
        self.session_changed("sale")

    @work(group="action", exit_on_error=False)
    async def action_suspend(self) -> None:
        if not self._has_items():
            self.say("warn", "sale.empty")
            return
        if await self.attempt(lambda _ap: self.session.sale_call("POST", "/suspend")):
            self.say("info", "sale.suspended")

    @work(group="action", exit_on_error=False)
    async def action_resume(self) -> None:
        from tui.screens.resume import ResumeModal

        if self._has_items():
            self.say("warn", "sale.busy")
            return
        sale_id = await self.app.push_screen_wait(ResumeModal())
        if sale_id and await self.attempt(lambda _ap: self.session.resume(sale_id)):
            self.say("info", "sale.resumed")

    @work(group="action", exit_on_error=False)
    async def action_cancel_sale(self) -> None:
        if self.session.sale is None:
            self.say("warn", "sale.empty")
            return
        values = await self.app.push_screen_wait(reason_form("cancel.title"))
        if values is None:
            return
        cancelled = await self.attempt(lambda ap: self.session.sale_call("POST", "/cancel", {}, ap))
        if cancelled is not None:
            self.say("info", "sale.cancelled")

    @work(group="action", exit_on_error=False)
    async def action_member(self) -> None:
        from tui.screens.member import member_or_coupon

        await member_or_coupon(self)

    @work(group="action", exit_on_error=False)
    async def action_reprint(self) -> None:
        last = str((self.session.last_receipt or {}).get("receipt_no", ""))
        values = await self.app.push_screen_wait(receipt_form(last))
        if values is None:
            return
        receipt = values["receipt"].removeprefix(RECEIPT_PREFIX)
        if await self.attempt(lambda _ap: self.session.reprint(receipt)) is not None:
            self.say("info", "reprint.done", receipt=receipt)

    def action_returns(self) -> None:
        from tui.screens.returns import ReturnScreen

        self.app.push_screen(ReturnScreen())

    # -- the shift ---------------------------------------------------------------------------

    @work(group="action", exit_on_error=False)
    async def action_no_sale(self) -> None:
        values = await self.app.push_screen_wait(reason_form("no_sale.title"))
        if values is None:
            return
        done = await self.attempt(lambda ap: self.session.shift_call("POST", "/no-sale", {"reason": values["reason"]}, ap))
        if done is not None:
            self.say("info", "no_sale.done")

    @work(group="action", exit_on_error=False)
    async def action_x_report(self) -> None:
        from tui.screens.report import ReportModal

        report = await self.attempt(lambda _ap: self.session.shift_call("GET", "/x-report"))
        if report is not None:
            await self.app.push_screen_wait(ReportModal(report))

    @work(group="action", exit_on_error=False)
    async def action_close_shift(self) -> None:
        from tui.screens.report import ReportModal

        if self.session.sale is not None:
            self.say("warn", "shift.sale_open")
            return
        values: dict[str, Any] | None = await self.app.push_screen_wait(money_form("shift.close_title", "shift.counted"))
        if values is None:
            return
        report = await self.attempt(lambda _ap: self.session.close_shift(values["amount"]))
        if report is not None:
            await self.app.push_screen_wait(ReportModal(report))
            await self._to_login()

    @work(group="action", exit_on_error=False)
    async def action_logout(self) -> None:
        await self._to_login()

    async def _to_login(self) -> None:
        from tui.screens.login import LoginScreen

        await self.session.logout()
        self.app.switch_screen(LoginScreen())
