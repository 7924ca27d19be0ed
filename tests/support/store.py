"""Test helpers that build a real store: a config file, a real SQLite ledger, a node."""

from __future__ import annotations

import csv
import random
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pos.catalog import CATALOG_COLUMNS

# argon2 at its cheapest so tests that log in many times stay fast; production uses the defaults.
FAST_SECURITY = """
[security]
pin_hash_time_cost = 1
pin_hash_memory_kib = 64
"""


def write_config(directory: Path, store_id: str = "T001", extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "store.toml"
    path.write_text(
        f'[store]\nid = "{store_id}"\nname_en = "Test Store"\nname_zh = "测试店"\n'
        f'[ledger]\npath = "store.db"\n{FAST_SECURITY}{extra}',
        encoding="utf-8",
    )
    return path


def write_catalog(path: Path, rows: Iterable[Mapping[str, str]], columns: Iterable[str] = CATALOG_COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def item_row(sku: str, barcodes: str = "", **overrides: str) -> dict[str, str]:
    row = {
        "sku": sku,
        "name_en": f"Item {sku}",
        "name_zh": f"商品 {sku}",
        "unit": "each",
        "price": "199",
        "tax_class": "VAT13",
        "category": "grocery",
        "brand": "Acme",
        "barcodes": barcodes,
        "active": "true",
    }
    row.update(overrides)
    return row


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range: a server a test stops and starts
    again (the broker) finds its port still free, where an ephemeral one could meanwhile be
    taken by an outgoing connection, or by a client retrying to it (a TCP self-connect)."""
    low = _ephemeral_low()
    for _ in range(50):
        port = random.randrange(20000, max(20001, low))
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def behind_a_foreign_write_lock(ledger_path: Path, work: Callable[[], None], at_once: int) -> None:
    """Run `work` on `at_once` threads together while another connection holds the ledger's
    write lock (as an import by another process would); the lock goes when they are done."""
    foreign = sqlite3.connect(ledger_path, isolation_level=None)
    foreign.execute("BEGIN IMMEDIATE")
    try:
        threads = [threading.Thread(target=work) for _ in range(at_once)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        foreign.execute("ROLLBACK")
        foreign.close()
