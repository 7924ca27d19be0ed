"""`storenode hq status` and the queries HQ's people (and tests) use: per store and per item."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from sync.hq.db import hq_event, hq_refusal, hq_stock, hq_store, hq_store_version, reading


@dataclass(frozen=True)
class StoreReport:
    store: str
    state: str
    last_seen: str | None
    acked_seq: int
    backlog: int | None
    chain_ok: bool
    versions: dict[str, int] = field(default_factory=dict)
    refusals: int = 0

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def store_reports(engine: Engine) -> list[StoreReport]:
    with reading(engine) as conn:
        versions: dict[str, dict[str, int]] = {}
        for store, kind, version in conn.execute(select(hq_store_version)):
            versions.setdefault(store, {})[kind] = int(version)
        refusals: dict[str, int] = {
            str(r[0]): int(r[1]) for r in conn.execute(select(hq_refusal.c.store, func.count()).group_by(hq_refusal.c.store))
        }
        return [
            StoreReport(
                r.store, r.state, r.last_seen, int(r.contig_seq), r.outbox_depth, bool(r.chain_ok),
                versions.get(r.store, {}), int(refusals.get(r.store, 0)),
            )
            for r in conn.execute(select(hq_store).order_by(hq_store.c.store))
        ]


def format_reports(reports: list[StoreReport], as_json: bool = False) -> str:
    if as_json:
        return json.dumps([r.as_json() for r in reports], indent=2)
    lines = [f"{'store':<16} {'state':<8} {'last seen':<28} {'acked':>9} {'backlog':>8} {'promo':>6} {'prices':>6} {'catalog':>7} {'refused':>7}"]
    for r in reports:
        lines.append(
            f"{r.store:<16} {r.state:<8} {r.last_seen or '-':<28} {r.acked_seq:>9} "
            f"{'-' if r.backlog is None else r.backlog:>8} {r.versions.get('promotions', 0):>6} "
            f"{r.versions.get('prices', 0):>6} {r.versions.get('catalog', 0):>7} {r.refusals:>7}"
            + ("" if r.chain_ok else "  CHAIN BROKEN")
        )
    return "\n".join(lines)


def stock_of(engine: Engine, store: str) -> dict[str, int]:
    """HQ's view of a store's on-hand stock (items never moved are absent)."""
    with reading(engine) as conn:
        return {r[0]: int(r[1]) for r in conn.execute(select(hq_stock.c.sku, hq_stock.c.on_hand).where(hq_stock.c.store == store))}


def journal_of(engine: Engine, store: str) -> dict[int, str]:
    """seq -> hash of every event HQ holds for a store."""
    with reading(engine) as conn:
        return {int(r[0]): str(r[1]) for r in conn.execute(select(hq_event.c.seq, hq_event.c.hash).where(hq_event.c.store == store))}
