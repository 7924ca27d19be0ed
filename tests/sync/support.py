"""Helpers for the sync tests: stores with a [sync] section, business events, convergence checks.

Also a store process for kill tests: `python -m tests.sync.support CONFIG [--sell N]`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from edge.bootstrap import Node, build_node
from edge.ledger import Ledger
from edge.settings import load_settings
from sync.hq.push import queue_message, topic_for
from sync.hq.status import journal_of, stock_of
from tests.support.store import write_config

ROOT = Path(__file__).resolve().parents[2]
SKUS = ("A1", "B2", "C3", "D4")
FAST_SYNC = {
    "heartbeat_seconds": 0.5,
    "ack_timeout_seconds": 3.0,
    "reconnect_min_seconds": 0.1,
    "reconnect_max_seconds": 1.0,
    "batch_size": 40,
    "in_flight_batches": 4,
    "keepalive_seconds": 5,
}


def store_config(directory: Path, store_id: str, port: int, public_key: str, **overrides: Any) -> Path:
    values = {**FAST_SYNC, "broker_port": port, "hq_public_key": public_key, **overrides}
    lines = ["[sync]"] + [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in values.items()]
    return write_config(directory, store_id, extra="\n".join(lines).replace("'", '"') + "\n")


def open_store(directory: Path, store_id: str, port: int, public_key: str, **overrides: Any) -> Node:
    path = store_config(directory, store_id, port, public_key, **overrides)
    node = build_node(load_settings(path), init=True)
    with node.ledger.writer.begin() as conn:
        for sku in SKUS:
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO item (sku, name_en, name_zh, unit, price, tax_class, category, brand, active, updated_at) "
                "VALUES (?, ?, ?, 'each', 500, 'VAT13', 'grocery', 'Acme', 1, '2026-01-01T00:00:00.000000Z')",
                (sku, f"Item {sku}", f"商品 {sku}"),
            )
    return node


def _move_stock(conn: Any, deltas: dict[str, int]) -> None:
    for sku, delta in sorted(deltas.items()):
        conn.exec_driver_sql(
            "INSERT INTO stock_level (sku, on_hand) VALUES (?, ?) ON CONFLICT(sku) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
            (sku, delta),
        )


def receive(ledger: Ledger, quantity: int = 100) -> None:
    """Goods in: one `stock.received` row moving every test sku."""
    deltas = dict.fromkeys(SKUS, quantity)
    with ledger.unit_of_work() as uow:
        uow.journal("stock.received", {"stock": [{"sku": s, "delta": d} for s, d in sorted(deltas.items())]})
        _move_stock(uow.session.connection(), deltas)
        uow.commit()


def sell(ledger: Ledger, n: int) -> None:
    """A sale shaped like edge/completion.py's `sale.completed` row, stock moved in the same transaction."""
    deltas = {SKUS[n % len(SKUS)]: -1 - n % 3, SKUS[(n + 1) % len(SKUS)]: -1}
    with ledger.unit_of_work() as uow:
        uow.journal("sale.completed", {
            "receipt_no": f"R{n:08d}", "totals": {"total": 500 * (2 + n % 3)},
            "stock": [{"sku": s, "delta": d} for s, d in sorted(deltas.items())],
        })
        _move_stock(uow.session.connection(), deltas)
        uow.commit()


def store_journal(ledger: Ledger) -> dict[int, str]:
    with ledger.reader.connect() as conn:
        return {int(r[0]): str(r[1]) for r in conn.exec_driver_sql("SELECT seq, hash FROM journal")}


def store_stock(ledger: Ledger) -> dict[str, int]:
    with ledger.reader.connect() as conn:
        return {str(r[0]): int(r[1]) for r in conn.exec_driver_sql("SELECT sku, on_hand FROM stock_level")}


def store_version(ledger: Ledger, kind: str = "promotions") -> int:
    with ledger.reader.connect() as conn:
        row = conn.exec_driver_sql("SELECT value FROM node_state WHERE key = ?", (f"sync.version.{kind}",)).first()
    return int(row[0]) if row else 0


def journal_kinds(ledger: Ledger, kind: str) -> list[dict[str, Any]]:
    import json

    with ledger.reader.connect() as conn:
        return [json.loads(r[0])["data"] for r in conn.exec_driver_sql("SELECT payload FROM journal WHERE kind = ? ORDER BY seq", (kind,))]


def bundle(version: int, promotions: int = 2) -> dict[str, Any]:
    return {
        "version": version,
        "promotions": [
            {"id": f"P{version}-{i}", "name_en": f"{5 + i}% off", "type": "percent_off",
             "items": {"skus": [SKUS[i % len(SKUS)]]}, "percent_off": 5 + i % 50}
            for i in range(promotions)
        ],
    }


def converged(engine: Engine, store_id: str, ledger: Ledger, promotions: int | None = None) -> bool:
    """HQ holds exactly the store's journal and stock, and the store has the promotions version."""
    return (
        journal_of(engine, store_id) == store_journal(ledger)
        and stock_of(engine, store_id) == store_stock(ledger)
        and (promotions is None or store_version(ledger) == promotions)
    )


def explain(engine: Engine, store_id: str, ledger: Ledger) -> str:
    hq, local = journal_of(engine, store_id), store_journal(ledger)
    return (
        f"HQ has {len(hq)} rows (max {max(hq, default=0)}), store {len(local)}; "
        f"differing hashes {sorted(s for s in hq if local.get(s) != hq[s])[:5]}; "
        f"HQ stock {stock_of(engine, store_id)} vs store {store_stock(ledger)}; promotions v{store_version(ledger)}"
    )


def push(hq: Any, key: Any, kind: str, body: dict[str, Any], stores: tuple[str, ...] = (), **kw: Any) -> dict[str, Any]:
    """Queue in HQ's outbox and publish through the collector's own link (what `hq push` does)."""
    msg, envelope = queue_message(hq.engine, key, tenant="default", kind=kind, body=body, stores=stores, **kw)
    for topic in topic_for("default", kind, stores):
        assert hq.link.publish_and_wait(topic, envelope, retain=not stores)
    return msg


class Seller:
    """Sells in a thread, one sale every `every` seconds, until stopped; records the slowest sale."""

    def __init__(self, ledger: Ledger, every: float = 0.005, start: int = 10_000) -> None:
        self.ledger, self.every, self.n, self.slowest = ledger, every, start, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            sell(self.ledger, self.n)
            self.slowest = max(self.slowest, time.perf_counter() - began)
            self.n += 1
            self._stop.wait(self.every)

    def __enter__(self) -> Seller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)


def spawn_store(config: Path, sell_count: int = 0, sell_every: float = 0.0) -> subprocess.Popen[bytes]:
    """A store node process publishing its journal (and selling, if asked) until killed."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.support", str(config), "--sell", str(sell_count), "--every", str(sell_every)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def spawn_hq(db: str, broker_port: int, name: str, *, key: Path, republish: float = 1.0) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sync.hq", "serve", "--db", db, "--broker", f"127.0.0.1:{broker_port}",
         "--tenant", "default", "--name", name, "--key", str(key), "--republish-seconds", str(republish)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _main() -> int:
    from edge.sync_bridge import start_store_sync

    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("--sell", type=int, default=0)
    parser.add_argument("--every", type=float, default=0.0)
    args = parser.parse_args()
    node = build_node(load_settings(args.config))
    handle = start_store_sync(node)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    start = node.ledger.last_seq()
    for n in range(args.sell):
        if done.is_set():
            break
        sell(node.ledger, start + n)
        time.sleep(args.every)
    done.wait()
    handle.stop()
    node.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
