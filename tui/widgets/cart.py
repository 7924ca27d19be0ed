"""The cart: one row per line (name in the lane's language, quantity, unit price, line total)
and a row under a line for each promotion that discounts it.

A scan appends one line, so the table is updated in place: rows that did not change stay,
changed cells are rewritten, and rows are only added or taken away at the end.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from tui.api import Json
from tui.i18n import Messages, fit, money, quantity_text

Row = tuple[str, str, tuple[str, str, str, str]]  # key, kind (item|discount|void), cells
NUMBER_WIDTHS = (8, 9, 10)  # quantity, unit price, line total (each with its left gap)
_STYLE = {"item": "", "discount": "green", "void": "dim strike"}


def cart_rows(sale: Json | None, t: Messages, name_width: int) -> list[Row]:
    """The rows the cart shows for `sale`: items, then each line's promotions under it."""
    if sale is None:
        return []
    currency = str(sale.get("currency", "CNY"))
    amounts = {int(line["line_id"]): line for line in sale.get("totals", {}).get("lines", [])}
    rows: list[Row] = []
    for line in sale.get("lines", []):
        line_id = int(line["line_id"])
        name = t.item_name(line)
        unit_price = int(line["unit_price"])
        override = line.get("override")
        price = money(int(override["unit_price"]) if override else unit_price, currency) + ("*" if override else "")
        qty = quantity_text(int(line["quantity"]), bool(line.get("weighed")))
        if line.get("voided"):
            rows.append((f"l{line_id}", "void", (fit(name, name_width), qty, price, t("cart.voided"))))
            continue
        amount = amounts.get(line_id, {}).get("amount", unit_price * int(line["quantity"]))
        rows.append((f"l{line_id}", "item", (fit(name, name_width), qty, price, money(int(amount), currency))))
        discount = sale.get("discounts", {}).get(str(line_id))
        for n, promotion in enumerate((discount or {}).get("promotions", [])):
            label = fit("  − " + t.item_name(promotion), name_width)
            rows.append((f"d{line_id}.{n}", "discount", (label, "", "", money(-int(promotion["amount"]), currency))))
        if discount and not discount.get("promotions") and int(discount.get("amount", 0)):
            label = fit("  − " + t("cart.discount"), name_width)
            rows.append((f"d{line_id}.x", "discount", (label, "", "", money(-int(discount["amount"]), currency))))
    return rows


class CartTable(DataTable[Text], can_focus=False):
    """The cart; the scan field keeps the focus, the screen moves this table's cursor."""

    def __init__(self, messages: Messages, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, cell_padding=0, **kwargs)
        self.t = messages
        self._rows: list[Row] = []
        self._sale: Json | None = None
        self._name_width = 0

    def on_mount(self) -> None:
        self._build_columns()

    def _fit_width(self) -> int:
        width = self.size.width or 56
        return max(12, width - sum(NUMBER_WIDTHS) - 3)  # a left margin, the scrollbar, a right margin

    def _build_columns(self) -> None:
        self._name_width = self._fit_width()
        self.clear(columns=True)
        self._rows = []
        t = self.t
        self.add_column(" " + fit(t("cart.item"), self._name_width), key="name")
        for key, width in zip(("qty", "price", "total"), NUMBER_WIDTHS, strict=True):
            self.add_column(Text(fit(t(f"cart.{key}"), width, "right")), key=key)

    def on_resize(self) -> None:
        if self._name_width and self._fit_width() != self._name_width:
            self.relabel(self.t)

    def relabel(self, messages: Messages) -> None:
        """New language or width: rebuild every row."""
        self.t = messages
        self._build_columns()
        self.show_sale(self._sale)

    @staticmethod
    def _cells(kind: str, cells: tuple[str, str, str, str]) -> list[Text]:
        style = _STYLE[kind]
        name, *numbers = cells
        return [Text(" " + name, style)] + [Text(fit(value, width, "right"), style) for value, width in zip(numbers, NUMBER_WIDTHS, strict=True)]

    def show_sale(self, sale: Json | None, *, follow: bool = True) -> None:
        """Show `sale`'s lines, rewriting only the cells that changed.

        Table rows are keyed by position: a promotion row appearing mid-cart shifts the rows
        under it by rewriting their cells, which is far cheaper than removing and re-adding rows.
        """
        self._sale = sale
        rows = cart_rows(sale, self.t, self._name_width or self._fit_width())
        old = self._rows
        for index, ((_, kind, cells), (_, old_kind, old_cells)) in enumerate(zip(rows, old, strict=False)):
            if (kind, cells) != (old_kind, old_cells):
                texts = self._cells(kind, cells)
                for column, text, value, old_value in zip(("name", "qty", "price", "total"), texts, cells, old_cells, strict=True):
                    if kind != old_kind or value != old_value:
                        self.update_cell(f"r{index}", column, text)
        for index in range(len(rows), len(old)):
            self.remove_row(f"r{len(rows) + len(old) - 1 - index}")  # from the end: cheapest
        for index in range(len(old), len(rows)):
            self.add_row(*self._cells(rows[index][1], rows[index][2]), key=f"r{index}")
        grew = len(rows) > len(old)
        self._rows = rows
        if follow and grew and rows:
            last_item = max(i for i, row in enumerate(rows) if row[0].startswith("l"))
            self.move_cursor(row=last_item, animate=False)
            self.scroll_end(animate=False, immediate=True)

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
