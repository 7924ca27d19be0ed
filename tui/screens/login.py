"""Log in with operator id + PIN; open the lane's shift with a float when none is open."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.widgets import Input, Label, Static

from tui.api import NodeClientError
from tui.screens.base import LaneScreen
from tui.screens.form import money_form
from tui.widgets.banner import Banner
from tui.widgets.keybar import KeyBar
from tui.widgets.status import StatusLine

DEFAULT_FLOAT = "200.00"


class LoginScreen(LaneScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "app.help", "key.help"),
        Binding("f12", "app.language", "key.language"),
        Binding("ctrl+q", "app.quit", "key.quit"),
    ]

    def compose(self) -> ComposeResult:
        yield StatusLine(self.session, self.t, id="status")
        with Center(), Vertical(classes="dialog", id="login"):
            yield Static(id="login-title", classes="dialog-title")
            yield Label(id="operator-label")
            yield Input(id="operator", max_length=16)
            yield Label(id="pin-label")
            yield Input(id="pin", password=True, max_length=12)
            yield Banner()
        yield KeyBar(self.BINDINGS, self.t, id="keys")

    def on_mount(self) -> None:
        self.relabel()
        self.query_one("#operator", Input).focus()

    def relabel(self) -> None:
        t = self.t
        self.query_one("#login-title", Static).update(t("login.title", lane=self.session.lane))
        self.query_one("#operator-label", Label).update(t("login.operator"))
        self.query_one("#pin-label", Label).update(t("login.pin"))
        self.query_one(StatusLine).show(t)
        self.query_one(KeyBar).show(t)
        self.query_one(Banner).render_notice(t)

    def session_changed(self, what: str) -> None:
        if what in ("status", "all"):
            self.query_one(StatusLine).show()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        operator, pin = self.query_one("#operator", Input), self.query_one("#pin", Input)
        if not operator.value.strip():
            operator.focus()
        elif event.input is operator or not pin.value:
            pin.focus()
        else:
            self.log_in(operator.value.strip(), pin.value)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def log_in(self, operator_id: str, pin: str) -> None:
        from tui.screens.sale import SaleScreen

        pin_box = self.query_one("#pin", Input)
        try:
            await self.session.login(operator_id, pin)
        except NodeClientError as err:
            pin_box.value = ""
            pin_box.focus()
            self.say_error(err)
            return
        pin_box.value = ""
        if self.session.shift is None:
            values = await self.app.push_screen_wait(money_form("shift.open_title", "shift.float", DEFAULT_FLOAT, lane=self.session.lane))
            if values is None or await self.attempt(lambda _ap: self.session.open_shift(values["amount"])) is None:
                await self.session.logout()
                self.say("warn", "shift.not_opened")
                return
        self.query_one("#operator", Input).value = ""
        self.app.switch_screen(SaleScreen())
