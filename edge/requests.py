"""Client request ids for commands that change a sale: a repeat finds the first result.

The id is claimed (a `request` row) inside the command's own transaction, so it survives a
restart exactly when the change it guards does. Add-item ids are kept a day after they were
claimed: the lane terminal resends an unanswered scan to the lane's current sale, so an id
must stay claimed after its sale closes (a resend then gets 409, not the next customer's
cart); older ones guard nothing and go when a shift closes (a lane scans all day: the table
must not grow by a row a scan).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from sqlalchemy import Connection

from edge.clock import to_utc_text, utc_now
from pos.errors import Conflict


class Replayed(Exception):
    """The request id was carried out before: roll back and answer as the first time."""


def claim_request(db: sqlite3.Connection, request_id: str, kind: str, ref: str) -> None:
    """Record `request_id` for `kind` on `ref` (in the unit of work's transaction); Replayed
    when it is a repeat, Conflict when it was used for something else."""
    seen = db.execute("SELECT kind, ref FROM request WHERE request_id = ?", (request_id,)).fetchone()
    if seen is None:
        db.execute(
            "INSERT INTO request (request_id, kind, ref, created_at) VALUES (?, ?, ?, ?)",
            (request_id, kind, ref, to_utc_text(utc_now())),
        )
        return
    if (seen[0], seen[1]) != (kind, ref):
        raise Conflict(f"request id {request_id} was already used for {seen[0]} of {seen[1]}")
    raise Replayed(request_id)


ADD_ITEM_ID_KEPT = timedelta(days=1)


def prune_add_items(conn: Connection, now: datetime) -> int:
    """Drop add-item request ids claimed more than a day before `now`; how many went."""
    cutoff = to_utc_text(now - ADD_ITEM_ID_KEPT)
    result = conn.exec_driver_sql("DELETE FROM request WHERE kind = 'sale.add_item' AND created_at < ?", (cutoff,))
    return int(result.rowcount)
