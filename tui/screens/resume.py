"""Pick a parked (suspended) sale to resume at this lane."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.api import Json, NodeClientError
from tui.i18n import Messages, fit, money
from tui.screens.base import LaneModal
from tui.widgets.banner import Banner


def parked_label(sale: Json, t: Messages) -> str:
    """`14:05  lane 2  3 items  ¥12.00  Cola, Rice …` for one parked sale."""
    opened = datetime.fromisoformat(str(sale["opened_at"])).astimezone().strftime("%H:%M")
    live = [line for line in sale["lines"] if not line.get("voided")]
    names = ", ".join(t.item_name(line) for line in live[:3])
    total = money(int(sale["totals"]["total"]), str(sale.get("currency", "CNY")), symbol=True)
    return f"{opened}  {t('status.lane', lane=sale['lane'])}  {t('resume.items', count=len(live))}  {total:>10}  {fit(names, 28).rstrip()}"


class ResumeModal(LaneModal[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "key.choose"),
        Binding("escape", "leave", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.parked: list[Json] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="resume"):
            yield Static(self.t("resume.title"), classes="dialog-title")
            yield OptionList(id="parked")
            yield Banner()
            yield Static(self.t("resume.keys"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        try:
            self.parked = await self.session.suspended()
        except NodeClientError as err:
            self.say_error(err)
            return
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(parked_label(sale, self.t), id=str(sale["sale_id"])) for sale in self.parked])
        if self.parked:
            options.highlighted = 0
        else:
            self.say("warn", "resume.none")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and self.parked:
            self.dismiss(str(self.parked[options.highlighted]["sale_id"]))
