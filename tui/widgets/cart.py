"""The cart: one row per line (name in the lane's language, quantity, unit price, line total)
and a row under a line for each promotion that discounts it.

The node answers every scan with the whole cart, so a scan's redraw is a diff: a line whose
figures did not change keeps its rows from the last sale (no formatting again), the new rows
are compared with the ones on screen and only those in view that differ are drawn again. Each row
is drawn once into a strip and kept by its content, so rows that did not change, or only
moved (a promotion row appearing mid-cart shifts the rows under it), cost a lookup. The
cart's height and scroll position change in the same call, so the frame after a scan shows
the new line already scrolled into view.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.api import Json
from tui.i18n import Messages, fit, money, quantity_text

Row = tuple[str, str, tuple[str, str, str, str]]  # key, kind (item|discount|void), cells
RowMemo = dict[tuple[Any, ...], list[Row]]  # a line's rows by what they are drawn from
NUMBER_WIDTHS = (8, 9, 10)  # quantity, unit price, line total (each with its left gap)
_STYLE = {"item": Style(), "discount": Style.parse("green"), "void": Style.parse("dim strike"), "header": Style()}


def cart_rows(sale: Json | None, t: Messages, name_width: int, memo: RowMemo | None = None) -> list[Row]:
    """The rows the cart shows for `sale`: items, then each line's promotions under it.

    With `memo` (the previous call's, same words and width), a line whose figures did not change
    reuses its rows; the memo is refilled with this sale's lines only.
    """
    if sale is None:
        if memo is not None:
            memo.clear()
        return []
    currency = str(sale.get("currency", "CNY"))
    amounts = {int(line["line_id"]): line.get("amount") for line in sale.get("totals", {}).get("lines", [])}
    discounts = sale.get("discounts", {})
    previous = dict(memo or {})
    if memo is not None:
        memo.clear()
    rows: list[Row] = []
    for line in sale.get("lines", []):
        line_id = int(line["line_id"])
        discount = discounts.get(str(line_id))
        key = _line_key(line, amounts.get(line_id), discount)
        line_rows = previous.get(key)
        if line_rows is None:
            line_rows = _line_rows(line, amounts.get(line_id), discount, currency, t, name_width)
        if memo is not None:
            memo[key] = line_rows
        rows.extend(line_rows)
    return rows


def _line_key(line: Json, amount: Any, discount: Json | None) -> tuple[Any, ...]:
    """Everything a line's rows are drawn from (its names, figures and promotions)."""
    override = line.get("override")
    promotions: tuple[Any, ...] = ()
    if discount:
        promotions = tuple((p.get("name_zh"), p.get("name_en"), p.get("sku"), p.get("amount")) for p in discount.get("promotions", ()))
    return (
        line["line_id"], line.get("name_zh"), line.get("name_en"), line.get("sku"), line["unit_price"], override and override.get("unit_price"),
        line["quantity"], line.get("weighed"), line.get("voided"), amount, promotions, discount and discount.get("amount"),
    )


def _line_rows(line: Json, amount: Any, discount: Json | None, currency: str, t: Messages, name_width: int) -> list[Row]:
    line_id = int(line["line_id"])
    name = t.item_name(line)
    unit_price = int(line["unit_price"])
    override = line.get("override")
    price = money(int(override["unit_price"]) if override else unit_price, currency) + ("*" if override else "")
    qty = quantity_text(int(line["quantity"]), bool(line.get("weighed")))
    if line.get("voided"):
        return [(f"l{line_id}", "void", (fit(name, name_width), qty, price, t("cart.voided")))]
    if amount is None:
        amount = unit_price * int(line["quantity"])
    rows: list[Row] = [(f"l{line_id}", "item", (fit(name, name_width), qty, price, money(int(amount), currency)))]
    for n, promotion in enumerate((discount or {}).get("promotions", [])):
        label = fit("  − " + t.item_name(promotion), name_width)
        rows.append((f"d{line_id}.{n}", "discount", (label, "", "", money(-int(promotion["amount"]), currency))))
    if discount and not discount.get("promotions") and int(discount.get("amount", 0)):
        label = fit("  − " + t("cart.discount"), name_width)
        rows.append((f"d{line_id}.x", "discount", (label, "", "", money(-int(discount["amount"]), currency))))
    return rows


class CartTable(ScrollView, can_focus=False):
    """The cart under a fixed header line; the scan field keeps the focus, the screen moves
    this table's cursor (a highlighted row)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"cart--header", "cart--cursor"}

    def __init__(self, messages: Messages, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.t = messages
        self._rows: list[Row] = []
        self._header: Row = ("", "header", ("", "", "", ""))
        self._sale: Json | None = None
        self._name_width = 0
        self._row_memo: RowMemo = {}  # the last sale's rows per line, for the next one
        self.cursor_row = 0
        self._base_style: Style | None = None  # the widget's colours, asked once per style change
        # drawn rows by what they show (and whether the cursor is on them): a row that only
        # moved is found again; cleared when the width or the styles change
        self._strips: LRUCache[tuple[str, tuple[str, str, str, str], bool, int], Strip] = LRUCache(1024)

    # -- what the screen and the tests read --------------------------------------------------

    @property
    def sale(self) -> Json | None:
        """The sale shown (as the node last sent it)."""
        return self._sale

    @property
    def name_width(self) -> int:
        """Cells for an item's name at this width (the numbers take the rest)."""
        return self._name_width or self._fit_width()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def row_keys(self) -> list[str]:
        return [row[0] for row in self._rows]

    @property
    def rows_text(self) -> list[str]:
        """The cart as text lines (for tests and the tmux smoke test's eyes)."""
        return [" ".join(cells) for _, _, cells in self._rows]

    def selected_line_id(self) -> int | None:
        """The sale line under the cursor (a promotion row selects its line)."""
        if not self._rows or not 0 <= self.cursor_row < len(self._rows):
            return None
        key = self._rows[self.cursor_row][0]
        return int(key[1:].split(".")[0])

    # -- columns and words -------------------------------------------------------------------

    def on_mount(self) -> None:
        self._build_header()

    def _fit_width(self) -> int:
        width = self.size.width or 56
        return max(12, width - sum(NUMBER_WIDTHS) - 3)  # a left margin, the scrollbar, a right margin

    def _build_header(self) -> None:
        self._name_width = self._fit_width()
        t = self.t
        qty, price, total = (fit(t(f"cart.{key}"), width, "right") for key, width in zip(("qty", "price", "total"), NUMBER_WIDTHS, strict=True))
        self._header = ("", "header", (fit(t("cart.item"), self._name_width), qty, price, total))
        self._rows = []
        self._row_memo.clear()
        self._strips.clear()
        self.refresh()

    def on_resize(self) -> None:
        if self._name_width and self._fit_width() != self._name_width:
            self.relabel(self.t)

    def relabel(self, messages: Messages) -> None:
        """New language or width: rebuild every row."""
        self.t = messages
        self._build_header()
        self.show_sale(self._sale, follow=False)
        self.move_cursor(row=self.cursor_row)  # a smaller box may have lost it from view

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._base_style = None

    # -- the rows ----------------------------------------------------------------------------

    def show_sale(self, sale: Json | None, *, follow: bool = True) -> None:
        """Show `sale`'s lines, drawing again only the rows in view that changed; when the cart
        grew, move the cursor to the newest line and scroll to the end."""
        self._sale = sale
        rows = cart_rows(sale, self.t, self.name_width, self._row_memo)
        old, self._rows = self._rows, rows
        top = self.scroll_offset.y
        for index in range(top, min(top + self._rows_in_view(), max(len(rows), len(old)))):
            if index >= len(rows) or index >= len(old) or rows[index] != old[index]:
                self.refresh_line(index + 1)  # the header is line 0; rows out of view are drawn when scrolled to
        size = Size(self._row_width(), len(rows) + 1)
        if size != self.virtual_size:
            self.virtual_size = size  # a new layout: the scrollbar and how far the cart scrolls
        if follow and len(rows) > len(old):
            last_item = next(i for i in range(len(rows) - 1, -1, -1) if rows[i][0].startswith("l"))  # from the end
            self._set_cursor(last_item)
            self._scroll_to_row(self.max_scroll_y)
        else:
            if self.cursor_row >= len(rows):
                self._set_cursor(max(0, len(rows) - 1))
            if top > self.max_scroll_y:  # the cart got shorter than where it was scrolled to
                self._scroll_to_row(self.max_scroll_y)

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Put the cursor on `row` and scroll it into view (`animate` is ignored: a till jumps)."""
        if not self._rows:
            return
        self._set_cursor(max(0, min(len(self._rows) - 1, row)))
        top, in_view = self.scroll_offset.y, self._rows_in_view()
        if self.cursor_row < top:
            self._scroll_to_row(self.cursor_row)
        elif in_view > 0 and self.cursor_row >= top + in_view:
            self._scroll_to_row(self.cursor_row - in_view + 1)

    def _scroll_to_row(self, top: int) -> None:
        # now, not after the next frame, and forced: the first time the cart outgrows its box
        # the scrollbar (which allows scrolling) only comes with the next layout
        self.scroll_to(y=top, animate=False, force=True, immediate=True)

    def _set_cursor(self, row: int) -> None:
        if row != self.cursor_row:
            self.refresh_line(self.cursor_row + 1)
            self.cursor_row = row
            self.refresh_line(row + 1)

    def _rows_in_view(self) -> int:
        return max(0, self.scrollable_content_region.height - 1)  # under the header

    # -- drawing -----------------------------------------------------------------------------

    def _row_width(self) -> int:
        return 1 + self.name_width + sum(NUMBER_WIDTHS)

    def render_line(self, y: int) -> Strip:
        """Line `y` of the widget: the header, then the rows scrolled into view."""
        width = self.scrollable_content_region.width
        if y == 0:
            return self._strip(self._header, False, width)
        index = y - 1 + self.scroll_offset.y
        if not 0 <= index < len(self._rows):
            return Strip.blank(width, self._base())
        return self._strip(self._rows[index], index == self.cursor_row, width)

    def _base(self) -> Style:
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def _strip(self, row: Row, cursor: bool, width: int) -> Strip:
        _, kind, cells = row
        key = (kind, cells, cursor, width)
        strip = self._strips.get(key)
        if strip is None:
            base = self._base()
            if kind == "header":
                style = base + self.get_component_rich_style("cart--header")
            else:
                style = base + _STYLE[kind]
                if cursor:
                    style += self.get_component_rich_style("cart--cursor")
            name, *numbers = cells
            text = " " + name + "".join(fit(value, cells, "right") for value, cells in zip(numbers, NUMBER_WIDTHS, strict=True))
            pad = style if kind == "header" or cursor else base  # a highlighted row spans the width
            strip = Strip([Segment(text, style)]).adjust_cell_length(width, pad)
            self._strips[key] = strip
        return strip
