"""Foundation benchmarks: catalog import, barcode lookup, journal appends vs bare sqlite3."""

from __future__ import annotations

import csv
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench import Result, benchmark, percentile
from edge.catalog import import_catalog, lookup_code, sync_tax_classes
from edge.ledger import Ledger, driver
from pos.catalog import CATALOG_COLUMNS, TaxClass, gtin13_with_check_digit

CATALOG_ITEMS = 1_000_000
# On the disk the store would use (not tmpfs), so fsync costs what it costs in a store.
SCRATCH = Path(__file__).resolve().parent / ".data"
APPENDS = 3000
LOOKUPS = 20_000


def _scratch() -> tempfile.TemporaryDirectory[str]:
    SCRATCH.mkdir(exist_ok=True)
    return tempfile.TemporaryDirectory(dir=SCRATCH)


def _write_catalog(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CATALOG_COLUMNS)
        for n in range(count):
            writer.writerow(
                (f"SKU{n:07d}", f"Item {n}", f"商品 {n}", "each", 100 + n % 5000, "VAT13",
                 f"cat{n % 50}", f"brand{n % 200}", gtin13_with_check_digit(f"69{n:010d}"), "true")
            )


def _ledger(directory: Path) -> Ledger:
    ledger = Ledger.open(directory / "store.db", store_id="BENCH", init=True)
    sync_tax_classes(ledger, [TaxClass("VAT13", 1300, "VAT 13%", "增值税 13%")])
    return ledger


@benchmark("catalog_import_1m_s", "barcode_lookup_p99_ms")
def catalog() -> Iterator[Result]:
    with _scratch() as tmp:
        directory = Path(tmp)
        csv_path = directory / "catalog.csv"
        _write_catalog(csv_path, CATALOG_ITEMS)
        ledger = _ledger(directory)
        started = time.perf_counter()
        report = import_catalog(ledger, csv_path)
        elapsed = time.perf_counter() - started
        assert report.created == CATALOG_ITEMS and not report.errors, report.errors[:3]
        yield Result("catalog_import_1m_s", elapsed, "s", "<= 60")

        rng = random.Random(1)
        codes = [gtin13_with_check_digit(f"69{rng.randrange(CATALOG_ITEMS):010d}") for _ in range(LOOKUPS)]
        samples = []
        with ledger.reader.connect() as conn:
            for code in codes:
                t0 = time.perf_counter()
                lookup_code(driver(conn), code)
                samples.append((time.perf_counter() - t0) * 1000)
        ledger.dispose()
        yield Result("barcode_lookup_p99_ms", percentile(samples, 99), "ms", "<= 0.5")


def _bare_sqlite_per_s(path: Path, count: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    payload = '{"at":"2026-11-23T00:00:00.000000Z","data":{"n":1},"kind":"bench.appended","seq":1}'
    started = time.perf_counter()
    for _ in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (payload) VALUES (?)", (payload,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def _ledger_per_s(ledger: Ledger, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        with ledger.unit_of_work() as uow:
            uow.journal("bench.appended", {"n": n})
            uow.commit()
    return count / (time.perf_counter() - started)


@benchmark("ledger_append_per_s", "ledger_append_vs_sqlite_ratio")
def ledger_append() -> Iterator[Result]:
    """Alternate rounds of journal appends and bare INSERT+COMMIT on the same disk, best of each."""
    with _scratch() as tmp:
        directory = Path(tmp)
        ledger = _ledger(directory)
        ours, bare = [], []
        for _ in range(5):
            ours.append(_ledger_per_s(ledger, APPENDS // 5))
            bare.append(_bare_sqlite_per_s(directory / "bare.db", APPENDS // 5))
        ledger.dispose()
    ours.sort()
    bare.sort()
    yield Result("ledger_append_per_s", ours[2], "rows/s", "(physical limit: bare sqlite3)")
    yield Result("ledger_append_vs_sqlite_ratio", ours[2] / bare[2], "ratio", ">= 0.5")
