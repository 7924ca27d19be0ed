"""The keys of the screen in front, with their names in the lane's language (a footer)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from tui.i18n import Messages


def key_label(key: str) -> str:
    """f5 → F5, ctrl+x → ^X, escape → Esc: how keys are printed on a keyboard cap."""
    key = key.split(",")[0]
    if key.startswith("ctrl+"):
        return "^" + key[5:].upper()
    return {"escape": "Esc", "enter": "Enter", "space": "Space", "delete": "Del"}.get(key, key.upper() if len(key) <= 3 else key.title())


def shown_bindings(bindings: list[Any]) -> list[Binding]:
    return [b for b in bindings if isinstance(b, Binding) and b.show]


class KeyBar(Static, can_focus=False):
    """`F2 Qty  F3 Search …`, wrapped onto as many lines as the CSS gives it."""

    def __init__(self, bindings: list[Any], messages: Messages, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.bindings = shown_bindings(bindings)
        self.show(messages)

    def show(self, messages: Messages) -> None:
        text = Text()
        for binding in self.bindings:
            if text:
                text.append(" ")
            text.append(key_label(binding.key_display or binding.key), "reverse bold")
            text.append(messages(binding.description))
        self.update(text)
