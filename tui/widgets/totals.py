"""Running totals beside the cart: items, subtotal, savings, tax per class, paid, and the amount
due in large digits."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits, Static

from tui.api import Json
from tui.i18n import Messages, fit, money

WIDTH = 23  # the panel is 26 wide: a border and two cells of padding


def totals_text(sale: Json | None, t: Messages, width: int = WIDTH) -> Text:
    """The totals as label/amount lines, each exactly `width` cells."""
    text = Text(no_wrap=True)
    if sale is None:
        text.append(fit(t("totals.next_customer"), width), "dim")
        return text
    currency = str(sale.get("currency", "CNY"))
    totals, settlement = sale.get("totals", {}), sale.get("settlement", {})
    live = [line for line in sale.get("lines", []) if not line.get("voided")]
    pieces = sum(1 if line.get("weighed") else int(line["quantity"]) for line in live)

    def row(label: str, value: str, style: str = "") -> None:
        if text:
            text.append("\n")
        text.append(fit(label, width - 10) + fit(value, 10, "right"), style)

    row(t("totals.items"), str(pieces))
    row(t("totals.subtotal"), money(int(totals.get("subtotal", 0)), currency))
    if int(totals.get("discount", 0)):
        row(t("totals.savings"), money(-int(totals["discount"]), currency), "green")
    for tax_class in totals.get("classes", []):
        rate = int(tax_class["rate_bp"]) / 100
        row(t("totals.tax", rate=f"{rate:g}%"), money(int(tax_class["tax"]), currency), "dim")
    row(t("totals.total"), money(int(totals.get("total", 0)), currency), "bold")
    paid = int(settlement.get("non_cash", 0)) + int(settlement.get("cash_tendered", 0))
    if paid:
        row(t("totals.paid"), money(paid, currency))
    if sale.get("member"):
        row(t("totals.member"), str(sale["member"]["member_id"]), "cyan")
    if sale.get("coupons"):
        row(t("totals.coupons"), ",".join(str(c["code"]) for c in sale["coupons"]), "cyan")
    return text


def amount_due(sale: Json | None) -> int:
    if sale is None:
        return 0
    settlement = sale.get("settlement", {})
    return int(settlement.get("cash_balance_due", settlement.get("balance_due", 0)))


class TotalsPanel(Vertical):
    """The right-hand column of the sale screen."""

    def __init__(self, messages: Messages, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.t = messages
        self._sale: Json | None = None
        self._done: Json | None = None
        self._shown: tuple[Text, str, str] = (Text(), "", "")

    def compose(self) -> ComposeResult:
        yield Static(id="totals-lines")
        yield Static(id="due-label")
        yield Digits("0.00", id="due")

    def show_sale(self, sale: Json | None, done: Json | None = None) -> None:
        """The open sale's totals; with no sale, the last sale's change (until the next scan)."""
        self._sale, self._done = sale, done
        if sale is None and done is not None:
            currency = str(done["sale"].get("currency", "CNY"))
            receipt = Text("\n" + fit(self.t("totals.receipt", receipt=done["receipt_no"]), WIDTH))
            self._show(totals_text(done["sale"], self.t) + receipt, self.t("totals.change"), money(int(done["change"]), currency))
        else:
            currency = str((sale or {}).get("currency", "CNY"))
            self._show(totals_text(sale, self.t), self.t("totals.due"), money(amount_due(sale), currency))

    def _show(self, lines: Text, label: str, amount: str) -> None:
        # fixed heights (lane.tcss): changed text is redrawn without a new layout of the screen
        if lines != self._shown[0]:
            self.query_one("#totals-lines", Static).update(lines, layout=False)
        if label != self._shown[1]:
            self.query_one("#due-label", Static).update(fit(label, WIDTH), layout=False)
        if amount != self._shown[2]:
            self.query_one("#due", Digits).update(amount)
        self._shown = (lines, label, amount)

    def relabel(self, messages: Messages) -> None:
        self.t = messages
        self.show_sale(self._sale, self._done)
