"""The screen as plain text: what a cashier would read (the snapshot tests compare this)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App


def screen_text(app: App[object]) -> str:
    """The current screen (with any screen under a dialog) as lines of text, as rendered."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None, record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def cart_on_screen(app: App[Any]) -> list[str]:
    """The cart's rows as the screen shows them now (the header line left out), one string a
    line, trailing blanks cut."""
    from rich.cells import set_cell_size

    from tui.widgets.cart import CartTable

    cart = app.screen.query_one(CartTable)
    region = cart.region
    assert region.x == 0, "the cart is the left-hand column"
    lines = screen_text(app).splitlines()[region.y : region.y + region.height]
    return [set_cell_size(line, cart.scrollable_content_region.width).rstrip() for line in lines[1:]]


def cart_drawn_afresh(app: App[Any]) -> list[str]:
    """What a cart drawn from nothing would show at the same scroll position: the session's
    sale through `cart_rows`, no diffing involved (the incremental redraw must match it)."""
    from tui.i18n import fit
    from tui.widgets.cart import NUMBER_WIDTHS, CartTable, cart_rows

    cart = app.screen.query_one(CartTable)
    rows = cart_rows(cart.sale, cart.t, cart.name_width)
    top, in_view = cart.scroll_offset.y, cart.scrollable_content_region.height - 1
    shown = []
    for _, _, (name, *numbers) in rows[top : top + in_view]:
        shown.append((" " + name + "".join(fit(value, width, "right") for value, width in zip(numbers, NUMBER_WIDTHS, strict=True))).rstrip())
    return shown + [""] * (in_view - len(shown))
