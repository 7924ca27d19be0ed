"""Every key of the lane and what it does, in the lane's language."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.i18n import fit
from tui.screens.base import LaneModal
from tui.widgets.keybar import key_label, shown_bindings


class HelpModal(LaneModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,enter", "leave", "key.close")]

    def compose(self) -> ComposeResult:
        from tui.screens.returns import ReturnScreen
        from tui.screens.sale import SaleScreen
        from tui.screens.tender import TenderModal

        t = self.t
        text = Text()
        for title, bindings in (
            ("help.sale", SaleScreen.BINDINGS),
            ("help.tender", TenderModal.BINDINGS),
            ("help.returns", ReturnScreen.BINDINGS),
        ):
            text.append(("\n" if text else "") + t(title) + "\n", "bold underline")
            for binding in shown_bindings(list(bindings)):
                key = key_label(binding.key)
                text.append(fit(key, 6), "bold")
                text.append(fit(t(binding.description), 14) + " " + t("help." + binding.description.removeprefix("key.")) + "\n")
        text.append("\n" + t("help.scan"))
        with Vertical(classes="dialog", id="help"):
            yield Static(t("help.title"), classes="dialog-title")
            with VerticalScroll():
                yield Static(text)
            yield Static(t("help.keys"), classes="dialog-keys")
