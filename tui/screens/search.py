"""Item search as you type (name, SKU or barcode); Enter adds the highlighted item.

Each keystroke starts a new exclusive worker, which cancels the one before it: a slow answer
to "col" can never overwrite the answer to "cola".
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.api import Json, NodeClientError
from tui.i18n import fit, money
from tui.screens.base import LaneModal
from tui.widgets.banner import Banner

DEBOUNCE_S = 0.12


class SearchModal(LaneModal[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False, priority=True),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("escape", "leave", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Json] = []
        self.searches = 0  # answers shown (tests read it)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="search"):
            yield Static(self.t("search.title"), classes="dialog-title")
            yield Input(placeholder=self.t("search.placeholder"), id="query", max_length=64)
            yield OptionList(id="results")
            yield Banner()
            yield Static(self.t("search.keys"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#results", OptionList).can_focus = False
        self.query_one("#query", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.lookup(event.value.strip())

    @work(exclusive=True, group="search", exit_on_error=False)
    async def lookup(self, query: str) -> None:
        options = self.query_one("#results", OptionList)
        if not query:
            self.results = []
            options.clear_options()
            return
        await asyncio.sleep(DEBOUNCE_S)  # typing fast: only the last keystroke reaches the node
        try:
            results = await self.session.call(self.session.client.search(query))
        except NodeClientError as err:
            self.say_error(err)
            return
        self.results = results
        self.searches += 1
        width = max(20, options.size.width - 24)
        options.clear_options()
        options.add_options(
            [
                Option(f"{fit(self.t.item_name(item), width)} {money(int(item['price'])):>9}  {item['sku']}", id=item["sku"])
                for item in results
            ]
        )
        if results:
            options.highlighted = 0
        else:
            self.say("warn", "search.none", query=query)

    def action_move(self, step: int) -> None:
        options = self.query_one("#results", OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one("#results", OptionList)
        if options.highlighted is None or not self.results:
            self.say("warn", "search.pick")
            return
        self.dismiss(self.results[options.highlighted]["sku"])
