"""Stock and sales derived from journal events: the same rules at the store and at HQ.

Tolerant by design: unknown kinds and unusable entries are skipped, so a new event kind
never stops HQ's ingest. What is relied on (edge/completion.py and edge/refunds.py write it):

- any event whose `data.stock` is a list of {"sku": str, "delta": int} moves on-hand stock
  by each delta (sales negative, returns and receipts positive; grams for weighed items);
- any event whose `data.counted` is a list of {"sku": str, "on_hand": int} sets on hand
  (a stock count replaces the figure) — applied after its `stock` deltas;
- `sale.completed`: one sale of `data.totals.total` minor units; its sold quantities are the
  negated negative `stock` deltas;
- `return.completed`: one return of `data.refund.total` (rows written before the refund
  carried its total, 2026-11-24: the sum of its lines' `amount`, as `pos.refund.Refund.total`
  computes it); returned quantities are its positive `stock` deltas.

HQ applies these in seq order as the contiguous prefix grows, so counts and deltas
interleave exactly as they did in the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

StockOp = Literal["add", "set"]


@dataclass(frozen=True, slots=True)
class StockMove:
    sku: str
    op: StockOp
    quantity: int


@dataclass(frozen=True, slots=True)
class SalesFigure:
    """One event's contribution to a day's sales: counts, amount, quantities per sku."""

    sales: int
    returns: int
    amount: int
    quantities: tuple[tuple[str, int], ...]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _entries(data: Mapping[str, Any], key: str, field: str) -> Iterator[tuple[str, int]]:
    entries = data.get(key)
    if not isinstance(entries, list):
        return
    for entry in entries:
        if isinstance(entry, dict):
            sku, value = entry.get("sku"), entry.get(field)
            if type(value) is int and isinstance(sku, str) and sku:
                yield sku, value


def stock_entries(data: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(sku, delta) of an event's `stock` list (the one pass both projections share)."""
    return list(_entries(data, "stock", "delta"))


def stock_moves(kind: str, data: Mapping[str, Any], entries: list[tuple[str, int]] | None = None) -> list[StockMove]:
    """How one event moves stock (empty for events that do not)."""
    deltas = stock_entries(data) if entries is None else entries
    moves = [StockMove(sku, "add", delta) for sku, delta in deltas]
    if "counted" in data:
        moves += [StockMove(sku, "set", on_hand) for sku, on_hand in _entries(data, "counted", "on_hand")]
    return moves


def _total(data: Mapping[str, Any], key: str) -> int:
    part = data.get(key)
    return (_int(part.get("total")) or 0) if isinstance(part, Mapping) else 0


def _refund_total(data: Mapping[str, Any]) -> int:
    refund = data.get("refund")
    if not isinstance(refund, Mapping):
        return 0
    total = _int(refund.get("total"))
    if total is not None:
        return total
    lines = refund.get("lines")
    if not isinstance(lines, list):
        return 0
    return sum(_int(line.get("amount")) or 0 for line in lines if isinstance(line, Mapping))


def sales_figure(kind: str, data: Mapping[str, Any], entries: list[tuple[str, int]] | None = None) -> SalesFigure | None:
    """A sale or return's figures (None for other kinds)."""
    if kind not in ("sale.completed", "return.completed"):
        return None
    deltas = stock_entries(data) if entries is None else entries
    if kind == "sale.completed":
        sold = tuple((sku, -delta) for sku, delta in deltas if delta < 0)
        return SalesFigure(1, 0, _total(data, "totals"), sold)
    returned = tuple((sku, -delta) for sku, delta in deltas if delta > 0)
    return SalesFigure(0, 1, -_refund_total(data), returned)


def apply_moves(stock: dict[str, int], moves: Iterable[StockMove]) -> None:
    for move in moves:
        stock[move.sku] = move.quantity if move.op == "set" else stock.get(move.sku, 0) + move.quantity


def project_stock(events: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, int]:
    """On hand per sku after (kind, data) events in seq order."""
    stock: dict[str, int] = {}
    for kind, data in events:
        apply_moves(stock, stock_moves(kind, data))
    return stock
