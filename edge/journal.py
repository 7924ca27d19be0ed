"""The journal: append-only, gap-free `seq`, hash = sha256(prev_hash || payload).

The payload is the canonical JSON of {"seq", "at", "kind", "data"}, so a row's position,
time and kind are covered by the chain as well as its data.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from edge.clock import to_utc_text, utc_now
from pos.canonical import canonical_json

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    at: str
    kind: str
    data: Mapping[str, Any]
    payload: str
    prev_hash: str
    hash: str


def jsonable(value: Any) -> Any:
    """Dataclass dumps made fit for a journal payload: datetimes as ISO text, tuples as lists."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def chain_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


def entry_payload(seq: int, at: str, kind: str, data: Mapping[str, Any]) -> bytes:
    return canonical_json({"seq": seq, "at": at, "kind": kind, "data": dict(data)})


def head(db: sqlite3.Connection) -> tuple[int, str]:
    """The last (seq, hash), or (0, GENESIS_HASH) for an empty journal."""
    row = db.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def append(
    db: sqlite3.Connection, kind: str, data: Mapping[str, Any], at: datetime | None = None,
    last: tuple[int, str] | None = None,
) -> JournalEntry:
    """Append one row inside the caller's (write) transaction (`UnitOfWork.db`); `last` is the
    (seq, hash) the transaction appended last, when it knows (not read again)."""
    last_seq, prev_hash = last or head(db)
    seq = last_seq + 1
    at_text = to_utc_text(at or utc_now())
    payload = entry_payload(seq, at_text, kind, data)
    digest = chain_hash(prev_hash, payload)
    text = payload.decode("utf-8")
    db.execute(
        "INSERT INTO journal (seq, at, kind, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
        (seq, at_text, kind, text, prev_hash, digest),
    )
    return JournalEntry(seq, at_text, kind, data, text, prev_hash, digest)


def rows_after(conn: Connection, seq: int, limit: int) -> list[JournalEntry]:
    """Rows with seq > `seq`, in order (the outbox view of the journal)."""
    result = conn.exec_driver_sql(
        "SELECT seq, at, kind, payload, prev_hash, hash FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
        (seq, limit),
    )
    return [
        JournalEntry(r[0], r[1], r[2], json.loads(r[3])["data"], r[3], r[4], r[5]) for r in result
    ]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    rows: int
    last_seq: int
    first_bad_seq: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def _rows(conn: Connection) -> Iterator[tuple[int, str, str, str, str, str]]:
    result = conn.exec_driver_sql(
        "SELECT seq, at, kind, payload, prev_hash, hash FROM journal ORDER BY seq"
    )
    for row in result:
        yield row[0], row[1], row[2], row[3], row[4], row[5]


def verify(conn: Connection) -> VerifyReport:
    """Re-walk the chain from the first row; name the first seq that does not hold."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for seq, at, kind, payload, stored_prev, stored_hash in _rows(conn):
        count += 1

        def bad(reason: str, seq: int = seq, count: int = count) -> VerifyReport:
            return VerifyReport(count, seq, seq, reason)

        if seq != expected_seq:
            return bad(f"gap: expected seq {expected_seq}, found {seq}", seq=expected_seq)
        if stored_prev != prev_hash:
            return bad("prev_hash does not match the previous row's hash")
        try:
            decoded = json.loads(payload)
        except ValueError:
            return bad("payload is not JSON")
        if (
            not isinstance(decoded, dict)
            or decoded.get("seq") != seq
            or decoded.get("kind") != kind
            or decoded.get("at") != at
        ):
            return bad("payload does not match the row's seq, kind or time")
        if chain_hash(prev_hash, payload.encode("utf-8")) != stored_hash:
            return bad("hash does not match sha256(prev_hash || payload)")
        prev_hash, expected_seq = stored_hash, seq + 1
    return VerifyReport(count, expected_seq - 1, None, "ok")
