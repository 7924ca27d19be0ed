"""Client request ids for commands that change a sale: a repeat finds the first result.

The id is claimed (a `request` row) inside the command's own transaction, so it survives a
restart exactly when the change it guards does. Add-item ids live as long as their sale is
open: once it completes or is cancelled a retried add is refused anyway, so they are dropped
(a lane scans all day; the table must not grow by a row a scan).
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlmodel import Session

from edge.clock import utc_now
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


def forget_add_items(conn: Connection, sale_id: str) -> None:
    """Drop a closed sale's add-item request ids (inside the closing transaction)."""
    conn.exec_driver_sql("DELETE FROM request WHERE ref = ? AND kind = 'sale.add_item'", (sale_id,))
