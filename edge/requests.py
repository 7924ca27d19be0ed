"""Client request ids for commands that change a sale: a repeat finds the first result.

The id is claimed (a `request` row) inside the command's own transaction, so it survives a
restart exactly when the change it guards does. Add-item ids are kept a day after they were
claimed: the lane terminal resends an unanswered scan to the lane's current sale, so an id
must stay claimed after its sale closes (a resend then gets 409, not the next customer's
cart); older ones guard nothing and go when a shift closes (a lane scans all day: the table
must not grow by a row a scan).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection
from sqlmodel import Session

from edge.clock import to_utc_text, utc_now
from edge.sale_tables import RequestRow
from pos.errors import Conflict


class Replayed(Exception):
    """The request id was carried out before: roll back and answer as the first time."""


def claim_request(session: Session, request_id: str, kind: str, ref: str) -> None:
    """Record `request_id` for `kind` on `ref`; Replayed when it is a repeat, Conflict when it
    was used for something else."""
    seen = session.get(RequestRow, request_id)
    if seen is None:
        session.add(RequestRow(request_id=request_id, kind=kind, ref=ref, created_at=utc_now()))
        return
    if (seen.kind, seen.ref) != (kind, ref):
        raise Conflict(f"request id {request_id} was already used for {seen.kind} of {seen.ref}")
    raise Replayed(request_id)


ADD_ITEM_ID_KEPT = timedelta(days=1)


def prune_add_items(conn: Connection, now: datetime) -> int:
    """Drop add-item request ids claimed more than a day before `now`; how many went."""
    cutoff = to_utc_text(now - ADD_ITEM_ID_KEPT)
    result = conn.exec_driver_sql("DELETE FROM request WHERE kind = 'sale.add_item' AND created_at < ?", (cutoff,))
    return int(result.rowcount)
