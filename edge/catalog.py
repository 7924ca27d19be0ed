"""Catalog persistence: CSV import (row errors reported, good rows applied) and lookups."""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from edge import journal
from edge.catalog_reader import CatalogFileError as CatalogFileError
from edge.catalog_reader import CatalogImportStopped as CatalogImportStopped
from edge.catalog_reader import ReadBatch, read_catalog, read_catalog_in_worker
from edge.clock import to_utc_text, utc_now
from edge.ledger import Ledger, driver
from pos.catalog import ItemRecord, TaxClass, Unit, lookup_key
from pos.errors import NotFound

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB: ten times a million-item catalog
BATCH_ROWS = 5000
# Below this a worker process costs more to start (~0.2 s) than it saves.
WORKER_MIN_BYTES = 8 << 20


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class ImportReport:
    path: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    journal_seq: int | None = None

    @property
    def imported(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name_en: str
    name_zh: str
    unit: str
    price: int
    tax_class: str
    category: str
    brand: str
    active: bool
    codes: tuple[str, ...] = ()


def item_record(item: CatalogItem) -> ItemRecord:
    """The rules' view of a stored item."""
    return ItemRecord(
        sku=item.sku, name_en=item.name_en, name_zh=item.name_zh, unit=Unit(item.unit),
        price=item.price, tax_class=item.tax_class, category=item.category, brand=item.brand,
        active=item.active, codes=(),
    )


def sync_tax_classes(ledger: Ledger, tax_classes: Sequence[TaxClass]) -> None:
    """Make the ledger's tax classes match the store config (run at start)."""
    with ledger.writer.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO tax_class (code, rate_bp, name_en, name_zh) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(code) DO UPDATE SET rate_bp = excluded.rate_bp, "
            "name_en = excluded.name_en, name_zh = excluded.name_zh",
            [(t.code, t.rate_bp, t.name_en, t.name_zh) for t in tax_classes],
        )


def _known_tax_classes(ledger: Ledger) -> frozenset[str]:
    with ledger.reader.connect() as conn:
        return frozenset(row[0] for row in conn.exec_driver_sql("SELECT code FROM tax_class"))


# A batch's keys go to SQLite as one JSON array: one query per batch, no SQL built per chunk.
_OWNERS = "SELECT code, sku FROM item_code WHERE code IN (SELECT value FROM json_each(?))"
_EXISTING = "SELECT sku FROM item WHERE sku IN (SELECT value FROM json_each(?))"
_UPSERT_ITEM = (
    "INSERT INTO item (sku, name_en, name_zh, unit, price, tax_class, category, brand, active, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sku) DO UPDATE SET "
    "name_en = excluded.name_en, name_zh = excluded.name_zh, unit = excluded.unit, "
    "price = excluded.price, tax_class = excluded.tax_class, category = excluded.category, "
    "brand = excluded.brand, active = excluded.active, updated_at = excluded.updated_at"
)


def _apply_batch(ledger: Ledger, batch: ReadBatch, report: ImportReport, final: dict[str, Any] | None) -> None:
    """Upsert one batch in one transaction; a record whose barcode belongs to another item is refused."""
    now = to_utc_text(utc_now())
    with ledger.writer.begin() as conn:
        codes = batch.codes
        found = conn.exec_driver_sql(_OWNERS, (json.dumps([code[0] for code in codes]),)).all()
        owners: dict[str, str] = dict(found)  # of a list: dict(result) would take it for a mapping
        # Only codes already in the ledger can belong to another item: usually none, or the same item's.
        taken = [code for code in codes if owners.get(code[0], code[2]) != code[2]] if owners else []
        items: list[tuple[Any, ...]] = [(*item, now) for item in batch.items]
        if taken:
            refused: dict[str, str] = {}
            for value, _, sku in taken:
                refused.setdefault(sku, value)  # the item's first barcode that is taken
            for line, item in zip(batch.lines, batch.items, strict=True):
                if item[0] in refused:
                    value = refused[item[0]]
                    report.errors.append(RowError(line, f"barcode {value} already belongs to item {owners[value]}"))
            items = [item for item in items if item[0] not in refused]
            codes = [code for code in codes if code[2] not in refused]
        existing = [row[0] for row in conn.exec_driver_sql(_EXISTING, (json.dumps([item[0] for item in items]),))]
        if items:
            conn.exec_driver_sql(_UPSERT_ITEM, items)
        if existing:  # their barcodes are replaced by the file's
            conn.exec_driver_sql(
                "DELETE FROM item_code WHERE sku IN (SELECT value FROM json_each(?))", (json.dumps(existing),)
            )
        if codes:
            conn.exec_driver_sql("INSERT INTO item_code (code, kind, sku) VALUES (?, ?, ?)", codes)
        report.created += len(items) - len(existing)
        report.updated += len(existing)
        if final is not None:
            summary = {
                **final,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "rejected": len(report.errors),
            }
            report.journal_seq = journal.append(driver(conn), "catalog.imported", summary).seq


def import_catalog(
    ledger: Ledger,
    path: Path,
    *,
    encoding: str = "utf-8",
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_rows: int = BATCH_ROWS,
    worker_min_bytes: int = WORKER_MIN_BYTES,
) -> ImportReport:
    """Import a catalog CSV (format in docs/catalog.md). Bad rows are reported with their line
    number and skipped; good rows are created or updated in place; a row is never half-applied.

    Files of `worker_min_bytes` or more are read and validated by a worker process while this
    one writes to the ledger; CatalogImportStopped if that worker dies (applied batches stay)."""
    # A million rows leave millions of small objects in the per-file claim maps; the cyclic
    # collector's full passes over them made the import quadratic (none of them form cycles).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import_catalog(ledger, path, encoding, max_bytes, batch_rows, worker_min_bytes)
    finally:
        if collecting:
            gc.enable()


def _import_catalog(
    ledger: Ledger, path: Path, encoding: str, max_bytes: int, batch_rows: int, worker_min_bytes: int
) -> ImportReport:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise CatalogFileError(f"{path}: cannot read: {err.strerror}") from err
    if size > max_bytes:
        raise CatalogFileError(
            f"{path}: {size / 2**30:.1f} GiB is above the {max_bytes / 2**30:.1f} GiB limit; "
            "split the file or raise the limit with --max-bytes"
        )
    tax_classes = _known_tax_classes(ledger)
    read = read_catalog_in_worker if size >= worker_min_bytes else read_catalog
    report = ImportReport(path=str(path))
    for batch in read(path, encoding, tax_classes, batch_rows):
        report.rows += batch.rows
        report.errors.extend(RowError(line, reason) for line, reason in batch.errors)
        final = None
        if batch.sha256_skus is not None:
            final = {"file": path.name, "sha256_skus": batch.sha256_skus}
        _apply_batch(ledger, batch, report, final)
    return report


# The item's columns, then its codes in one string: one query per lookup.
_ITEM_COLUMNS = (
    "i.sku, i.name_en, i.name_zh, i.unit, i.price, i.tax_class, i.category, i.brand, i.active, "
    "(SELECT group_concat(code, ' ') FROM (SELECT code FROM item_code WHERE sku = i.sku ORDER BY code))"
)


def _item(row: Sequence[Any]) -> CatalogItem:
    sku, name_en, name_zh, unit, price, tax_class, category, brand, active, codes = row
    return CatalogItem(
        sku, name_en, name_zh, unit, price, tax_class, category, brand, bool(active), tuple((codes or "").split())
    )


def _first(db: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Sequence[Any] | None:
    found: Sequence[Any] | None = db.execute(sql, params).fetchone()
    return found


def lookup_plu(conn: sqlite3.Connection, printed: str) -> CatalogItem:
    """The item an in-store label's item code names: the PLU as printed, or without leading zeros."""
    for candidate in dict.fromkeys((printed, printed.lstrip("0"))):
        row = _first(
            conn,
            f"SELECT {_ITEM_COLUMNS} FROM item_code c JOIN item i ON i.sku = c.sku WHERE c.code = ? AND c.kind = 'plu'",
            (candidate,),
        )
        if row is not None:
            return _item(tuple(row))
    raise NotFound(f"no item has PLU {printed} (from an in-store label)")


def lookup_code(conn: sqlite3.Connection, raw: str) -> CatalogItem:
    """The item a scanned barcode or typed PLU belongs to; NotFound / InvalidInput otherwise
    (on a plain sqlite3 connection: a unit of work's `db`, or `edge.ledger.driver(conn)`)."""
    key = lookup_key(raw)
    row = _first(conn, f"SELECT {_ITEM_COLUMNS} FROM item_code c JOIN item i ON i.sku = c.sku WHERE c.code = ?", (key,))
    if row is None:
        raise NotFound(f"no item has barcode {raw.strip()}")
    return _item(tuple(row))


def get_item(conn: sqlite3.Connection, sku: str) -> CatalogItem:
    row = _first(conn, f"SELECT {_ITEM_COLUMNS} FROM item i WHERE i.sku = ?", (sku,))
    if row is None:
        raise NotFound(f"no item has sku {sku}")
    return _item(tuple(row))


def search_items(conn: Connection, text: str, limit: int = 20) -> list[CatalogItem]:
    """Items whose sku, barcode or name (either language) contains `text`, active first."""
    needle = text.strip()
    if not needle:
        return []
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.exec_driver_sql(
        f"SELECT {_ITEM_COLUMNS} FROM item i WHERE i.sku = ? OR i.sku IN (SELECT sku FROM item_code WHERE code = ?) "
        "OR i.name_en LIKE ? ESCAPE '\\' OR i.name_zh LIKE ? ESCAPE '\\' "
        "ORDER BY i.active DESC, i.sku LIMIT ?",
        (needle, needle.zfill(14), pattern, pattern, limit),
    ).all()
    return [_item(tuple(row)) for row in rows]
