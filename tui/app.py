"""The cashier's lane terminal: a thin shell over the lane session and its screens.

`run_lane_app(node_url, lane, language)` runs it in this terminal (the `storenode tui` command
and `storenode demo` in a terminal both call it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import ClassVar

from textual.app import App, ScreenStackError
from textual.binding import Binding, BindingType

from edge.collector import IdleCollector
from tui.api import NodeClient
from tui.i18n import Messages
from tui.screens.base import LaneMixin, NoticePosted, SessionChanged
from tui.screens.help import HelpModal
from tui.screens.login import LoginScreen
from tui.session import LaneSession, Notice

log = logging.getLogger("storenode.tui")


class LaneApp(App[None]):
    """One lane: log in, sell, take money, return, close the shift."""

    CSS_PATH = "styles/lane.tcss"
    TITLE = "storenode"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "key.help", show=False),
        Binding("f12", "language", "key.language", show=False),
        Binding("ctrl+q", "quit", "key.quit", show=False, priority=True),
    ]

    def __init__(self, node_url: str, lane: int, language: str = "zh-CN", *, add_stream_scans: bool = False) -> None:
        super().__init__()
        self.messages = Messages(language)
        self.client = NodeClient(node_url)
        self.session = LaneSession(self.client, lane, self._changed, self._notice, add_stream_scans=add_stream_scans)

    def on_mount(self) -> None:
        self.run_worker(self._run_session(), name="lane-session", group="session")
        self.push_screen(LoginScreen())

    async def _run_session(self) -> None:
        while True:
            try:
                await self.session.run()
            except Exception:  # a bug in one loop must not leave the lane deaf: log, restart
                log.exception("lane session loop failed; restarting")
                await asyncio.sleep(1.0)

    async def on_unmount(self) -> None:
        await self.client.aclose()

    def _tell_screen(self, message: SessionChanged | NoticePosted) -> None:
        with contextlib.suppress(ScreenStackError):  # before the first screen
            self.screen.post_message(message)

    def _changed(self, what: str) -> None:
        self._tell_screen(SessionChanged(what))

    def _notice(self, notice: Notice) -> None:
        self._tell_screen(NoticePosted(notice))

    def action_language(self) -> None:
        """Switch between zh-CN and en, on every screen at once."""
        self.messages = self.messages.other()
        for screen in self.screen_stack:
            if isinstance(screen, LaneMixin):
                screen.relabel()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpModal):
            self.push_screen(HelpModal())


def lane_collector() -> IdleCollector:
    """The lane terminal's cyclic-GC policy (edge.collector): everything built so far kept out of
    the passes (frozen), a young pass every 20,000 new objects, not 700 (redrawing a cart makes
    many short-lived objects), and full passes over Textual's widget tree (~50 ms) only while
    no call to the node is in flight, never in the middle of a scan."""
    return IdleCollector(young=20_000, middle=20)


def run_lane_app(node_url: str, lane: int, language: str) -> None:
    """Run the lane terminal for `lane` against the node at `node_url` until the cashier quits."""
    collector = lane_collector().start()
    try:
        LaneApp(node_url, lane, language).run()
    finally:
        collector.stop()
