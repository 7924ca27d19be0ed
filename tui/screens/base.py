"""What every lane screen shares: the session, the words, notices, and asking a manager.

The app tells the screen in front what changed by two messages (`SessionChanged`,
`NoticePosted`); a screen coming back to the front redraws from the session.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Protocol, TypeVar, cast

from textual.binding import BindingType
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui.api import (
    Approval,
    NeedsManager,
    NodeClientError,
    NodeRefused,
    NodeUnreachable,
    SessionExpired,
)
from tui.i18n import Messages
from tui.session import LaneSession, Notice
from tui.widgets.banner import Banner

log = logging.getLogger("storenode.tui")
T = TypeVar("T")
R = TypeVar("R")

# Textual draws a screen at most 60 times a second, and a frame that follows an idle spell holds
# the next one back one to two periods (its timer skips the slots it slept through). At a lane the
# scan field's frame (cleared on Enter) then held back the frame with the node's answer by up to
# 33 ms. Lane screens draw at most 120 times a second: frames come only when something changed.
LANE_FRAME_S = 1 / 120


class LaneHost(Protocol):
    """What a screen needs from the app (tui.app.LaneApp)."""

    session: LaneSession
    messages: Messages


class SessionChanged(Message):
    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class NoticePosted(Message):
    def __init__(self, notice: Notice) -> None:
        super().__init__()
        self.notice = notice


class LaneMixin(Screen[Any]):
    """Session, words and the manager-approval retry, for screens and modals alike."""

    _lane_frame_timer: Timer | None = None

    @property
    def _update_timer(self) -> Timer:
        """Textual's frame timer for this screen (its own, private), at the lane's pace."""
        if self._lane_frame_timer is None:
            self._lane_frame_timer = self.set_interval(LANE_FRAME_S, self._on_timer_update, name="screen_update", pause=True)
        return self._lane_frame_timer

    @property
    def host(self) -> LaneHost:
        return cast(LaneHost, self.app)

    @property
    def session(self) -> LaneSession:
        return self.host.session

    @property
    def t(self) -> Messages:
        return self.host.messages

    def say(self, level: str, key: str, **params: object) -> None:
        """Show a message on this screen's banner (a toast when it has none)."""
        banners = self.query(Banner)
        if banners:
            banners.first().say(level, key, self.t, **params)
        else:
            self.app.notify(self.t(key, **params), severity="error" if level == "error" else "information")

    def say_error(self, err: NodeClientError) -> None:
        if isinstance(err, NodeUnreachable):
            self.say("error", "node.unreachable", message=err.message)
        elif isinstance(err, NodeRefused) and err.status >= 500:
            self.say("error", "node.failed", message=err.message)
        else:
            self.say("error", "node.said", message=err.message)

    async def attempt(self, make: Callable[[Approval | None], Awaitable[R]]) -> R | None:
        """Run a call; on 403 "needs a manager" ask for one and retry with the approval.

        Errors end on the banner and the result is None; the sale stays as the node has it.
        Call from a worker (the approval modal is awaited).
        """
        from tui.screens.form import approval_form

        approval: Approval | None = None
        reason = ""
        while True:
            try:
                return await make(approval)
            except NeedsManager as err:
                reason = err.message
            except SessionExpired as err:
                if approval is None:
                    self.say("error", "session.expired", message=err.message)
                    return None
                reason = self.t("approval.refused", message=err.message)
            except NodeClientError as err:
                self.say_error(err)
                return None
            approval = await self.app.push_screen_wait(approval_form(reason))
            if approval is None:
                self.say("warn", "approval.cancelled")
                return None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in an action must not close the lane: log it, say so, keep selling."""
        if event.state is WorkerState.ERROR:
            log.error("action %s failed", event.worker.name, exc_info=event.worker.error)
            self.say("error", "internal.error", action=event.worker.name, error=repr(event.worker.error))

    def relabel(self) -> None:
        """The language changed: redraw every label (screens override)."""

    def session_changed(self, what: str) -> None:
        """The session changed (`sale`, `queue`, `status`, `scan`, or `all`); screens override."""

    def on_session_changed(self, message: SessionChanged) -> None:
        with contextlib.suppress(NoMatches):  # not composed yet: on_mount draws it all
            self.session_changed(message.what)

    def on_notice_posted(self, message: NoticePosted) -> None:
        notice = message.notice
        self.say(notice.level, notice.key, **notice.params)

    def on_screen_resume(self) -> None:
        with contextlib.suppress(NoMatches):
            self.relabel()
            self.session_changed("all")


class LaneScreen(LaneMixin, Screen[T]):
    """A full screen of the lane."""


class LaneModal(LaneMixin, ModalScreen[T]):
    """A dialog over the screen in front; Esc leaves it with None."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "leave", "key.back")]

    def action_leave(self) -> None:
        self.dismiss(None)
