"""The journal, read-only, for managers and HQ tooling; and a chain check on demand."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from edge import journal
from edge.api.deps import CurrentManager, NodeDep, ReadConn

router = APIRouter(prefix="/ledger", tags=["ledger"])


class JournalRowPublic(BaseModel):
    seq: int
    at: str
    kind: str
    data: dict[str, Any]
    hash: str


class VerifyPublic(BaseModel):
    ok: bool
    rows: int
    last_seq: int
    first_bad_seq: int | None
    reason: str


@router.get("/journal")
def journal_rows(
    _manager: CurrentManager,
    node: NodeDep,
    conn: ReadConn,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JournalRowPublic]:
    rows = [
        JournalRowPublic(seq=e.seq, at=e.at, kind=e.kind, data=json.loads(e.payload)["data"], hash=e.hash)
        for e in journal.rows_after(conn, after, limit)
    ]
    node.ledger.make_durable()  # rows taken out of the store (HQ tooling): each one durable first
    return rows


@router.get("/verify")
def verify(_manager: CurrentManager, conn: ReadConn) -> VerifyPublic:
    report = journal.verify(conn)
    return VerifyPublic(ok=report.ok, rows=report.rows, last_seq=report.last_seq, first_bad_seq=report.first_bad_seq, reason=report.reason)
