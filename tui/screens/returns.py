"""Return mode: scan the receipt's QR (or type its number), pick the lines and quantities, refund.

The node refunds to the original tenders and never more than was sold; this screen shows what
was sold, what came back already, and what is picked now.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Static

from tui.api import Json, NodeClientError
from tui.i18n import fit, money, quantity_text
from tui.screens.base import LaneScreen
from tui.screens.form import quantity_form
from tui.widgets.banner import Banner
from tui.widgets.keybar import KeyBar
from tui.widgets.status import StatusLine

RECEIPT_PREFIX = "storenode:receipt:"


def returned_so_far(returnable: Json) -> dict[int, int]:
    """Quantity already returned per original line id."""
    done: dict[int, int] = {}
    for refund in returnable.get("returns", []):
        for line in refund.get("lines", []):
            if line.get("original_line_id") is not None:
                done[int(line["original_line_id"])] = done.get(int(line["original_line_id"]), 0) + int(line["quantity"])
    return done


class ReturnScreen(LaneScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "quantity", "key.return_qty"),
        Binding("f3", "all", "key.return_all"),
        Binding("f5", "refund", "key.refund"),
        Binding("escape", "back", "key.back"),
        Binding("f1", "app.help", "key.help"),
        Binding("f12", "app.language", "key.language"),
        Binding("up", "cursor(-1)", show=False, priority=True),
        Binding("down", "cursor(1)", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.receipt = ""
        self.returnable: Json | None = None
        self.picks: dict[int, int] = {}

    def compose(self) -> ComposeResult:
        yield StatusLine(self.session, self.t, id="status")
        yield Static(id="return-title")
        yield Input(id="receipt", max_length=80)
        table: DataTable[str] = DataTable(id="return-lines", cursor_type="row")
        table.can_focus = False
        yield table
        yield Static(id="return-total")
        yield Banner(id="banner")
        yield KeyBar(self.BINDINGS, self.t, id="keys")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#receipt", Input).focus()

    def relabel(self) -> None:
        t = self.t
        self.query_one("#return-title", Static).update(t("return.title"))
        self.query_one("#receipt", Input).placeholder = t("return.placeholder")
        self.query_one(StatusLine).show(t)
        self.query_one(KeyBar).show(t)
        self.query_one(Banner).render_notice(t)
        self.show_lines()

    def session_changed(self, what: str) -> None:
        if what in ("status", "all"):
            self.query_one(StatusLine).show()
        if what == "scan" and self.session.last_scan.startswith(RECEIPT_PREFIX):
            self.load(self.session.last_scan)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_cursor(self, step: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)), animate=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.load(event.value.strip())

    @work(exclusive=True, group="receipt", exit_on_error=False)
    async def load(self, receipt: str) -> None:
        try:
            self.returnable = await self.session.receipt_for_return(receipt)
        except NodeClientError as err:
            self.say_error(err)
            return
        self.receipt, self.picks = receipt, {}
        self.query_one("#receipt", Input).value = ""
        self.show_lines()

    def _lines(self) -> list[Json]:
        return list((self.returnable or {}).get("sale", {}).get("lines", [])) if self.returnable else []

    def show_lines(self) -> None:
        table, t = self.query_one(DataTable), self.t
        table.clear(columns=True)
        for key, width in (("cart.item", 30), ("return.sold", 9), ("return.back", 9), ("return.now", 9), ("return.paid", 10)):
            table.add_column(fit(t(key), width, "left" if key == "cart.item" else "right"), key=key)
        if self.returnable is None:
            self.query_one("#return-total", Static).update("")
            return
        sale = self.returnable["sale"]
        currency = str(sale.get("currency", "CNY"))
        paid = {int(line["line_id"]): int(line["gross"]) for line in sale["totals"]["lines"]}
        back = returned_so_far(self.returnable)
        estimate = 0
        for line in self._lines():
            if line.get("voided"):
                continue
            line_id, weighed, quantity = int(line["line_id"]), bool(line.get("weighed")), int(line["quantity"])
            now = self.picks.get(line_id, 0)
            estimate += paid.get(line_id, 0) * now // max(1, quantity)
            table.add_row(
                fit(t.item_name(line), 30),
                fit(quantity_text(quantity, weighed), 9, "right"),
                fit(quantity_text(back.get(line_id, 0), weighed), 9, "right"),
                fit(quantity_text(now, weighed) if now else "", 9, "right"),
                fit(money(paid.get(line_id, 0), currency), 10, "right"),
                key=str(line_id),
            )
        summary = t("return.summary", receipt=sale.get("receipt_no", ""), amount=money(estimate, currency, symbol=True))
        self.query_one("#return-total", Static).update(summary)

    def _selected(self) -> Json | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            self.say("warn", "return.scan_first")
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((line for line in self._lines() if str(line["line_id"]) == key), None)

    def _left(self, line: Json) -> int:
        return int(line["quantity"]) - returned_so_far(self.returnable or {}).get(int(line["line_id"]), 0)

    def _pick(self, line: Json, quantity: int) -> None:
        row = self.query_one(DataTable).cursor_row
        if quantity > self._left(line):
            self.say("error", "return.too_many", left=self._left(line))
            return
        self.picks[int(line["line_id"])] = quantity
        self.picks = {k: v for k, v in self.picks.items() if v > 0}
        self.show_lines()
        self.query_one(DataTable).move_cursor(row=row, animate=False)

    def action_all(self) -> None:
        line = self._selected()
        if line is None:
            return
        if self._left(line) <= 0:
            self.say("error", "return.none_left", name=self.t.item_name(line))
            return
        self._pick(line, 0 if self.picks.get(int(line["line_id"])) else self._left(line))

    @work(group="return-action", exit_on_error=False)
    async def action_quantity(self) -> None:
        line = self._selected()
        if line is None:
            return
        if line.get("weighed"):
            self.say("warn", "return.weighed")
            return
        values = await self.app.push_screen_wait(quantity_form(max(1, self._left(line)), self.t.item_name(line)))
        if values is not None:
            self._pick(line, int(values["quantity"]))

    @work(group="return-action", exclusive=True, exit_on_error=False)
    async def action_refund(self) -> None:
        if not self.picks:
            self.say("warn", "return.nothing")
            return
        picks = sorted(self.picks.items())
        refund = await self.attempt(lambda ap: self.session.refund(self.receipt, picks, ap))
        if refund is None:
            return
        currency = str(refund.get("currency", "CNY"))
        tenders = ", ".join(f"{self.t('tender.kind.' + str(x['kind']))} {money(int(x['amount']), currency)}" for x in refund.get("tenders", []))
        self.say("info", "return.done", amount=money(int(refund["total"]), currency, symbol=True), tenders=tenders)
        self.load(self.receipt)
