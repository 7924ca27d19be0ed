"""An item's price history, as the `price_history` trigger (migration 0004) records every change
of `item.price` — by a catalog import, an HQ price change, anything — without the importer
doing any work for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from edge.clock import from_utc_text, to_utc_text
from pos.return_policy import PriceChange


def price_history(conn: Connection, sku: str, since: datetime) -> list[PriceChange]:
    """The item's prices in effect after `since`: the one it had at `since` (dated `since`),
    then each change since. Empty when the price has not changed since then."""
    rows = conn.exec_driver_sql(
        "SELECT old_price, price, changed_at FROM price_history WHERE sku = ? AND changed_at > ? ORDER BY changed_at, id",
        (sku, to_utc_text(since)),
    ).all()
    if not rows:
        return []
    return [PriceChange(since, int(rows[0][0])), *(PriceChange(from_utc_text(r[2]), int(r[1])) for r in rows)]
