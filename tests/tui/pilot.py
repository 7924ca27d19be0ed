"""Driving the lane app the way a cashier does, with deadlines instead of sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

from tests.tui.screens import screen_text
from tui.app import LaneApp
from tui.screens.sale import SaleScreen
from tui.widgets.banner import Banner
from tui.widgets.cart import CartTable

DEADLINE_S = 20.0


async def wait_for(pilot: Pilot[None], check: Callable[[], object], what: str, timeout: float = DEADLINE_S) -> None:
    """Poll `check` while the app runs; fail with the screen as it is when time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # the screen may be between states; look again
            pass
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen_text(pilot.app)}")


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Key by key, like a keyboard-wedge scanner."""
    await pilot.press(*["space" if c == " " else c for c in text])


async def log_in(pilot: Pilot[None], app: LaneApp, operator: str = "101", pin: str = "1357", float_amount: str = "200") -> None:
    """Log in; open the shift with `float_amount` when the lane has none."""
    await wait_for(pilot, lambda: app.screen.query_one("#operator"), "the login screen")
    await type_text(pilot, operator)
    await pilot.press("enter")
    await type_text(pilot, pin)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, SaleScreen) or app.screen.query("#field-amount"), "login")
    if not isinstance(app.screen, SaleScreen):
        field = app.screen.query_one("#field-amount")
        field.value = float_amount  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SaleScreen), "the sale screen")


def cart(app: LaneApp) -> CartTable:
    return app.screen.query_one(CartTable)


def item_rows(app: LaneApp) -> list[str]:
    """The cart's item rows (promotion rows under them left out)."""
    return [key for key in cart(app).row_keys if key.startswith("l")]


def banner(app: LaneApp) -> str:
    return app.screen.query_one(Banner).shown


async def scan(pilot: Pilot[None], app: LaneApp, code: str, *, lines_after: int | None = None) -> None:
    """Type a code into the scan field and Enter; wait for the cart to show `lines_after` lines."""
    await type_text(pilot, code)
    await pilot.press("enter")
    if lines_after is not None:
        await wait_for(pilot, lambda: len(item_rows(app)) == lines_after and not app.session.pending, f"{lines_after} cart lines after {code}")
