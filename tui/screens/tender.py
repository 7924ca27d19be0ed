"""Taking payment: cash (quick amounts, change in large digits), card (terminal reference),
any split of them; then completing the sale. Dismisses with the completed sale, or None."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Digits, Input, Label, Static

from tui.api import Json
from tui.i18n import money, parse_money
from tui.screens.base import LaneModal
from tui.widgets.banner import Banner
from tui.widgets.keybar import KeyBar
from tui.widgets.totals import amount_due

QUICK_STEPS = (1000, 2000, 5000, 10000)  # round the due up to 10, 20, 50, 100


def quick_amounts(due: int) -> list[int]:
    """Cash a customer is likely to hand over: the exact amount, then round notes above it."""
    if due <= 0:
        return []
    ups = sorted({-(-due // step) * step for step in QUICK_STEPS} - {due})
    return [due, *ups][:4]


class TenderModal(LaneModal[Json | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "kind('cash')", "key.cash"),
        Binding("f3", "kind('card')", "key.card"),
        Binding("f5", "quick(0)", show=False),
        Binding("f6", "quick(1)", show=False),
        Binding("f7", "quick(2)", show=False),
        Binding("f8", "quick(3)", show=False),
        Binding("f10", "complete", "key.complete"),
        Binding("escape", "leave", "key.back"),
    ]

    kind = "cash"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="tender"):
            yield Static(classes="dialog-title", id="tender-title")
            yield Static(id="tender-summary")
            yield Static(id="tender-due-label")
            yield Digits("0.00", id="tender-due")
            yield Static(id="tender-kind")
            yield Label(id="amount-label")
            yield Input(id="amount", max_length=12)
            yield Label(id="reference-label")
            yield Input(id="reference", max_length=64)
            yield Static(id="quick")
            yield Banner()
            yield KeyBar(self.BINDINGS, self.t)

    def on_mount(self) -> None:
        self.show()

    def relabel(self) -> None:
        self.query_one(KeyBar).show(self.t)
        self.query_one(Banner).render_notice(self.t)
        self.show()

    def session_changed(self, what: str) -> None:
        if what in ("sale", "all"):
            self.show()

    @property
    def sale(self) -> Json | None:
        return self.session.sale

    def show(self) -> None:
        """Redraw from the sale: what is due (or the change), the kind, the quick amounts."""
        sale, t, currency = self.sale, self.t, self.session.currency
        if sale is None:
            return
        settlement = sale["settlement"]
        self.query_one("#tender-title", Static).update(t("tender.title"))
        paid = [f"{t('tender.kind.' + tender['kind'])} {money(int(tender['amount']), currency)}" for tender in sale["tenders"]]
        summary = t("tender.total", total=money(int(sale["totals"]["total"]), currency, symbol=True))
        if paid:
            summary += "\n" + t("tender.paid", tenders=", ".join(paid))
        self.query_one("#tender-summary", Static).update(summary)
        settled = bool(settlement["settled"])
        label = t("tender.change") if settled else t("totals.due")
        self.query_one("#tender-due-label", Static).update(label + (("  " + t("tender.complete_hint")) if settled else ""))
        self.query_one("#tender-due", Digits).update(money(int(settlement["change"]) if settled else amount_due(sale), currency))
        mark = {k: ("◉ " if self.kind == k else "○ ") + t(f"tender.kind.{k}") for k in ("cash", "card")}
        self.query_one("#tender-kind", Static).update(f"F2 {mark['cash']}    F3 {mark['card']}")
        self.query_one("#amount-label", Label).update(t("tender.amount"))
        self.query_one("#reference-label", Label).update(t("tender.reference"))
        card = self.kind == "card"
        self.query_one("#reference-label", Label).display = card
        self.query_one("#reference", Input).display = card
        amount = self.query_one("#amount", Input)
        due = int(settlement["balance_due"] if card else settlement["cash_balance_due"])
        if not amount.value and due > 0:
            amount.value = money(due, currency)
        quick = quick_amounts(int(settlement["cash_balance_due"])) if not card else []
        self.query_one("#quick", Static).update(
            "  ".join(f"F{5 + n} {money(value, currency, symbol=True)}" for n, value in enumerate(quick))
        )
        self.query_one("#quick", Static).display = bool(quick)
        if not self.focused:
            amount.focus()

    def action_kind(self, kind: str) -> None:
        self.kind = kind
        self.query_one("#amount", Input).value = ""
        self.show()
        self.query_one("#amount", Input).focus()

    def action_quick(self, index: int) -> None:
        sale = self.sale
        amounts = quick_amounts(int(sale["settlement"]["cash_balance_due"])) if sale and self.kind == "cash" else []
        if index < len(amounts):
            self.take(self.kind, amounts[index], "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        sale = self.sale
        if sale is None:
            return
        amount_box, reference = self.query_one("#amount", Input), self.query_one("#reference", Input)
        if not amount_box.value.strip() and sale["settlement"]["settled"]:
            self.action_complete()
            return
        if event.input.id == "amount" and self.kind == "card" and not reference.value.strip():
            reference.focus()
            return
        try:
            amount = parse_money(amount_box.value, self.session.currency)
            if amount <= 0:
                raise ValueError(amount_box.value)
        except ValueError:
            self.say("error", "form.bad_amount", value=amount_box.value)
            return
        self.take(self.kind, amount, reference.value.strip())

    @work(group="tender", exclusive=True, exit_on_error=False)
    async def take(self, kind: str, amount: int, reference: str) -> None:
        sale = await self.attempt(lambda _ap: self.session.tender(kind, amount, reference))
        if sale is None:
            return
        self.query_one("#amount", Input).value = ""
        self.query_one("#reference", Input).value = ""
        settlement = sale["settlement"]
        self.kind = "cash"  # the usual next tender; F3 for another card
        if settlement["settled"]:
            self.say("info", "tender.settled", change=money(int(settlement["change"]), self.session.currency, symbol=True))
        else:
            self.say("warn", "tender.partial", due=money(int(settlement["balance_due"]), self.session.currency, symbol=True))
        self.show()
        self.query_one("#amount", Input).focus()

    @work(group="tender", exclusive=True, exit_on_error=False)
    async def action_complete(self) -> None:
        sale = self.sale
        if sale is None:
            return
        if not sale["settlement"]["settled"]:
            self.say("warn", "sale.still_due", due=money(int(sale["settlement"]["balance_due"]), self.session.currency))
            return
        done = await self.attempt(lambda _ap: self.session.complete())
        if done is not None:
            self.dismiss(done)
