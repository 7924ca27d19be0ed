"""The status line: node link, HQ sync, printer and scanner health, lane, cashier, clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import Static

from tui.i18n import Messages, fit
from tui.session import LaneSession

_DEVICE_MARK = {"ok": ("✓", "green"), "disconnected": ("✕", "red"), "fault": ("!", "red")}


def _device(info: dict[str, Any] | None) -> tuple[str, str]:
    if info is None:
        return "?", "yellow"
    state = str(info.get("state", "ok" if info.get("ok", True) else "fault"))
    return _DEVICE_MARK.get(state, ("!", "red"))


def _sync(t: Messages, info: dict[str, Any] | None) -> tuple[str, str]:
    """HQ link from the node's `sync` events: ✓ online, ↑N still to send, ✕ offline, – off."""
    if info is None:
        return "?", "yellow"
    state = str(info.get("state", "online" if info.get("online") else "offline")).lower()
    backlog = int(info.get("outbox_depth", info.get("backlog", 0)) or 0)
    if state == "off":
        return "–", "dim"
    if state not in ("online", "ok", "connected"):
        return "✕" + (str(backlog) if backlog else ""), "bold red"
    return ("↑" + str(backlog), "yellow") if backlog else ("✓", "green")


class StatusLine(Static):
    """One line at the top of the lane's screens; the clock ticks every second."""

    def __init__(self, session: LaneSession, messages: Messages, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.session, self.t = session, messages
        self._shown = Text()

    def on_mount(self) -> None:
        self.set_interval(1.0, self.show)
        self.show()

    def show(self, messages: Messages | None = None) -> None:
        if messages is not None:
            self.t = messages
        t, session = self.t, self.session
        line = Text(no_wrap=True)
        online = session.connection == "online"
        line.append(f"{t('status.node')} ")
        line.append("● " + t("status.online") if online else "✕ " + t("status.offline"), "green" if online else "bold red")
        if online and not session.stream_up and session.operator is not None:
            line.append("~", "yellow")  # answering, event stream reconnecting
        sync_text, sync_style = _sync(t, session.sync)
        line.append(f" │ {t('status.hq')} ")
        line.append(sync_text, sync_style)
        for kind in ("printer", "scanner"):
            mark, style = _device(session.devices.get(kind))
            line.append(f" │ {t('status.' + kind)} ")
            line.append(mark, style)
        right = Text(f" {t('status.lane', lane=session.lane)}", "bold")
        if session.operator is not None:
            right.append(" │ " + fit(str(session.operator.get("name", "")), 16).rstrip())
        right.append(" │ " + datetime.now().strftime("%H:%M:%S"))
        room = max(0, (self.content_size.width or 78) - right.cell_len)
        line.truncate(room, overflow="ellipsis", pad=True)
        line.append_text(right)
        if line != self._shown:  # height 1: no new layout needed
            self._shown = line
            self.update(line, layout=False)
