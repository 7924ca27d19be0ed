"""A message line that never takes focus: errors stay a while, info fades sooner."""

from __future__ import annotations

from typing import Any

from textual.timer import Timer
from textual.widgets import Static

from tui.i18n import Messages
from tui.session import Notice

_LIFETIME = {"error": 15.0, "warn": 10.0, "info": 6.0}


class Banner(Static, can_focus=False):
    """Shows the latest notice; hides itself when it has nothing to say."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.notice: Notice | None = None
        self.shown = ""
        self._timer: Timer | None = None
        self.display = False

    def show(self, notice: Notice, messages: Messages) -> None:
        self.notice = notice
        self.render_notice(messages)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(_LIFETIME.get(notice.level, 8.0), self.clear)

    def say(self, level: str, key: str, messages: Messages, **params: object) -> None:
        self.show(Notice(level, key, params), messages)

    def render_notice(self, messages: Messages) -> None:
        if self.notice is None:
            return
        self.set_classes(f"banner -{self.notice.level}")
        self.shown = messages(self.notice.key, **self.notice.params)
        self.update(self.shown)
        self.display = True

    def clear(self) -> None:
        self.notice = None
        self.shown = ""
        self.display = False
