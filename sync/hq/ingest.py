"""Storing store events at HQ, exactly once in effect.

One transaction per batch of messages: rows are inserted `ON CONFLICT DO NOTHING` by
(store, seq); then, per store under a row lock, the contiguous prefix is extended in seq
order and only the newly contiguous rows are projected (stock, sales, versions,
refusals). Whichever `hq serve` takes a store's lock second sees the rows of the first,
so several processes sharing the subscription still advance every store exactly once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select, update

from sync.hq.db import (
    hq_delivery,
    hq_event,
    hq_refusal,
    hq_sales_day,
    hq_sales_item,
    hq_stock,
    hq_store,
    hq_store_version,
    upsert,
)
from sync.projection import sales_figure, stock_entries, stock_moves
from sync.schemas import MESSAGE_KINDS, EventBatch

log = logging.getLogger("storenode.hq")
WALK_LIMIT = 5000
APPLIED_KINDS = {f"{kind}.applied": kind for kind in MESSAGE_KINDS}


@dataclass(frozen=True, slots=True)
class StoreProgress:
    store: str
    contig_seq: int
    gap_from: int | None  # first missing seq when rows beyond it are already stored


@dataclass
class _Projection:
    """What newly contiguous events of one store change, gathered before writing."""

    stock_add: dict[str, int] = field(default_factory=dict)
    stock_set: dict[str, int] = field(default_factory=dict)
    days: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    items: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    versions: dict[str, int] = field(default_factory=dict)
    delivered: set[str] = field(default_factory=set)
    refusals: list[dict[str, Any]] = field(default_factory=list)

    def add(self, seq: int, at: str, kind: str, data: Mapping[str, Any]) -> None:
        entries = stock_entries(data)
        for move in stock_moves(kind, data, entries):
            if move.op == "set":
                self.stock_set[move.sku] = move.quantity
                self.stock_add.pop(move.sku, None)
            elif move.sku in self.stock_set:
                self.stock_set[move.sku] += move.quantity
            else:
                self.stock_add[move.sku] = self.stock_add.get(move.sku, 0) + move.quantity
        figure = sales_figure(kind, data, entries)
        if figure is not None:
            day = self.days[at[:10]]
            day[0] += figure.sales
            day[1] += figure.returns
            day[2] += figure.amount
            for sku, quantity in figure.quantities:
                self.items[(at[:10], sku)] += quantity
        if kind in APPLIED_KINDS and isinstance(data.get("version"), int):
            target = APPLIED_KINDS[kind]
            self.versions[target] = max(self.versions.get(target, 0), data["version"])
            if isinstance(data.get("msg_id"), str):
                self.delivered.add(data["msg_id"])
        elif kind == "sync.message_refused":
            self.refusals.append({
                "seq": seq, "reason": str(data.get("reason", "?"))[:32], "msg_id": data.get("msg_id"),
                "kind": data.get("kind"), "version": data.get("version"), "detail": str(data.get("detail", "")),
            })

    def write(self, conn: Connection, store: str) -> None:
        stmt = upsert(conn, hq_stock)
        for sku, value in sorted(self.stock_set.items()):
            conn.execute(stmt.values(store=store, sku=sku, on_hand=value).on_conflict_do_update(
                index_elements=["store", "sku"], set_={"on_hand": value}))
        if self.stock_add:
            ins = upsert(conn, hq_stock)
            conn.execute(
                ins.on_conflict_do_update(index_elements=["store", "sku"], set_={"on_hand": hq_stock.c.on_hand + ins.excluded.on_hand}),
                [{"store": store, "sku": sku, "on_hand": delta} for sku, delta in sorted(self.stock_add.items())],
            )
        if self.days:
            ins = upsert(conn, hq_sales_day)
            conn.execute(
                ins.on_conflict_do_update(index_elements=["store", "day"], set_={
                    "sales": hq_sales_day.c.sales + ins.excluded.sales,
                    "returns": hq_sales_day.c.returns + ins.excluded.returns,
                    "amount": hq_sales_day.c.amount + ins.excluded.amount,
                }),
                [{"store": store, "day": d, "sales": v[0], "returns": v[1], "amount": v[2]} for d, v in sorted(self.days.items())],
            )
        if self.items:
            ins = upsert(conn, hq_sales_item)
            conn.execute(
                ins.on_conflict_do_update(index_elements=["store", "day", "sku"], set_={"quantity": hq_sales_item.c.quantity + ins.excluded.quantity}),
                [{"store": store, "day": d, "sku": s, "quantity": q} for (d, s), q in sorted(self.items.items())],
            )
        for kind, version in sorted(self.versions.items()):
            record_version(conn, store, kind, version)
        if self.delivered:
            conn.execute(upsert(conn, hq_delivery).on_conflict_do_nothing(),
                         [{"store": store, "msg_id": m} for m in sorted(self.delivered)])
        if self.refusals:
            conn.execute(upsert(conn, hq_refusal).on_conflict_do_nothing(), [{"store": store, **r} for r in self.refusals])


def record_version(conn: Connection, store: str, kind: str, version: int) -> None:
    """A store reported `version` of `kind` applied (never moves back)."""
    ins = upsert(conn, hq_store_version).values(store=store, kind=kind, version=version)
    conn.execute(ins.on_conflict_do_update(
        index_elements=["store", "kind"], set_={"version": func.greatest(hq_store_version.c.version, version)}
        if conn.dialect.name == "postgresql" else {"version": func.max(hq_store_version.c.version, version)},
    ))


Row = tuple[str, int, str, str, str, str, str]  # store, seq, at, kind, payload, prev_hash, hash
Fresh = dict[tuple[str, int], tuple[str, str, str, str, Mapping[str, Any]]]  # at, kind, prev_hash, hash, data


def verified_rows(batch: EventBatch, fresh: Fresh) -> list[Row]:
    """The batch's rows whose hash and seq hold (others are logged and dropped); fills `fresh`."""
    rows: list[Row] = []
    for event in batch.events:
        digest = hashlib.sha256(event.prev_hash.encode("ascii") + event.payload.encode("utf-8")).hexdigest()
        try:
            body = json.loads(event.payload)
            ok = digest == event.hash and body["seq"] == event.seq
            at, kind, data = str(body["at"]), str(body["kind"]), body.get("data")
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            log.warning("store %s seq %d: hash or payload does not hold; dropped", batch.store, event.seq)
            continue
        fresh[(batch.store, event.seq)] = (at, kind, event.prev_hash, event.hash, data if isinstance(data, dict) else {})
        rows.append((batch.store, event.seq, at, kind, event.payload, event.prev_hash, event.hash))
    return rows


def _ensure_store(conn: Connection, store: str) -> None:
    conn.execute(upsert(conn, hq_store).values(store=store).on_conflict_do_nothing())


def _load_stored(conn: Connection, store: str, seqs: list[int], fresh: Fresh) -> None:
    """Rows stored by another transaction (or differing from this batch's copy): read them back."""
    if seqs:
        for seq, at, kind, payload, prev_hash, digest in conn.execute(
            select(hq_event.c.seq, hq_event.c.at, hq_event.c.kind, hq_event.c.payload, hq_event.c.prev_hash, hq_event.c.hash)
            .where(hq_event.c.store == store, hq_event.c.seq.in_(seqs))
        ):
            data = json.loads(payload).get("data")
            fresh[(store, int(seq))] = (at, kind, prev_hash, digest, data if isinstance(data, dict) else {})


def advance(conn: Connection, store: str, fresh: Fresh | None = None) -> StoreProgress:
    """Extend the store's contiguous prefix under its row lock, projecting each new row once.

    The stored (seq, hash) pairs are read back; a row's content comes from this batch when
    the stored hash is this batch's (the first stored copy of a seq always wins).
    """
    fresh = {} if fresh is None else fresh
    _ensure_store(conn, store)
    contig, head, chain_ok = conn.execute(
        select(hq_store.c.contig_seq, hq_store.c.head_hash, hq_store.c.chain_ok)
        .where(hq_store.c.store == store).with_for_update()
    ).one()
    start, projection = contig, _Projection()
    while True:
        stored = conn.execute(
            select(hq_event.c.seq, hq_event.c.hash)
            .where(hq_event.c.store == store, hq_event.c.seq > contig, hq_event.c.seq <= contig + WALK_LIMIT)
            .order_by(hq_event.c.seq)
        ).all()
        _load_stored(conn, store, [seq for seq, digest in stored if fresh.get((store, seq), ("",) * 4)[3] != digest], fresh)
        for seq, _digest in stored:
            if seq != contig + 1:
                break
            at, kind, prev_hash, digest, data = fresh[(store, seq)]
            if prev_hash != head and chain_ok:
                chain_ok = False
                log.error("store %s: the chain breaks at seq %d (prev_hash differs from seq %d's hash)", store, seq, contig)
            projection.add(seq, at, kind, data)
            contig, head = seq, digest
        if len(stored) < WALK_LIMIT or contig != stored[-1][0]:
            break
    if contig != start:
        projection.write(conn, store)
        conn.execute(update(hq_store).where(hq_store.c.store == store).values(contig_seq=contig, head_hash=head, chain_ok=chain_ok))
    beyond = conn.execute(select(func.min(hq_event.c.seq)).where(hq_event.c.store == store, hq_event.c.seq > contig)).scalar()
    return StoreProgress(store, contig, contig + 1 if beyond is not None else None)


def ingest(conn: Connection, batches: Iterable[EventBatch]) -> list[StoreProgress]:
    """Store the batches' rows (duplicates ignored) and advance each store touched."""
    rows: dict[tuple[str, int], Row] = {}
    fresh: Fresh = {}
    for batch in batches:
        for row in verified_rows(batch, fresh):
            rows[(row[0], row[1])] = row
    if rows:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        # Raw executemany: this is HQ's hot path, and the statement is the same on both databases.
        conn.exec_driver_sql(
            f"INSERT INTO hq_event (store, seq, at, kind, payload, prev_hash, hash) VALUES ({', '.join([mark] * 7)}) "
            "ON CONFLICT (store, seq) DO NOTHING",
            [rows[key] for key in sorted(rows)],
        )
    return [advance(conn, store, fresh) for store in sorted({store for store, _ in rows})]
