"""Catalog persistence: CSV import (row errors reported, good rows applied) and lookups."""

from __future__ import annotations

import csv
import gc
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from edge import journal
from edge.clock import to_utc_text, utc_now
from edge.errors import NodeError
from edge.ledger import Ledger
from pos.catalog import (
    CATALOG_COLUMNS,
    REQUIRED_COLUMNS,
    ItemRecord,
    TaxClass,
    Unit,
    lookup_key,
    parse_item_row,
)
from pos.errors import InvalidInput, NotFound

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB: ten times a million-item catalog
BATCH_ROWS = 5000
SQL_CHUNK = 900  # stays under SQLite's bound-variable limit on old builds


class CatalogFileError(NodeError):
    """The file as a whole cannot be imported (missing, too big, no usable header)."""


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


def _chunks(values: Sequence[Any], size: int = SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _owners(conn: Connection, codes: Sequence[str]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for chunk in _chunks(codes):
        marks = ",".join("?" * len(chunk))
        for code, sku in conn.exec_driver_sql(
            f"SELECT code, sku FROM item_code WHERE code IN ({marks})", tuple(chunk)
        ):
            owners[code] = sku
    return owners


def _existing_skus(conn: Connection, skus: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(skus):
        marks = ",".join("?" * len(chunk))
        found.update(
            row[0]
            for row in conn.exec_driver_sql(
                f"SELECT sku FROM item WHERE sku IN ({marks})", tuple(chunk)
            )
        )
    return found


def _apply_batch(
    ledger: Ledger,
    batch: list[tuple[int, ItemRecord]],
    report: ImportReport,
    final: dict[str, Any] | None,
) -> None:
    """Upsert one batch in one transaction; a record whose barcode belongs to another item is refused."""
    now = to_utc_text(utc_now())
    with ledger.writer.begin() as conn:
        owners = _owners(conn, [code.value for _, record in batch for code in record.codes])
        accepted: list[ItemRecord] = []
        for line, record in batch:
            taken = next(
                (c.value for c in record.codes if owners.get(c.value, record.sku) != record.sku),
                None,
            )
            if taken is not None:
                report.errors.append(
                    RowError(line, f"barcode {taken} already belongs to item {owners[taken]}")
                )
            else:
                accepted.append(record)
        skus = [record.sku for record in accepted]
        existing = _existing_skus(conn, skus)
        if accepted:
            conn.exec_driver_sql(
                "INSERT INTO item (sku, name_en, name_zh, unit, price, tax_class, category, brand, active, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sku) DO UPDATE SET "
                "name_en = excluded.name_en, name_zh = excluded.name_zh, unit = excluded.unit, "
                "price = excluded.price, tax_class = excluded.tax_class, category = excluded.category, "
                "brand = excluded.brand, active = excluded.active, updated_at = excluded.updated_at",
                [
                    (
                        r.sku,
                        r.name_en,
                        r.name_zh,
                        r.unit,
                        r.price,
                        r.tax_class,
                        r.category,
                        r.brand,
                        r.active,
                        now,
                    )
                    for r in accepted
                ],
            )
        if existing:
            for chunk in _chunks(sorted(existing)):
                marks = ",".join("?" * len(chunk))
                conn.exec_driver_sql(f"DELETE FROM item_code WHERE sku IN ({marks})", tuple(chunk))
        codes = [(c.value, c.kind, r.sku) for r in accepted for c in r.codes]
        if codes:
            conn.exec_driver_sql("INSERT INTO item_code (code, kind, sku) VALUES (?, ?, ?)", codes)
        report.created += len(accepted) - len(existing)
        report.updated += len(existing)
        if final is not None:
            summary = {
                **final,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "rejected": len(report.errors),
            }
            report.journal_seq = journal.append(conn, "catalog.imported", summary).seq


def _check_header(fieldnames: Sequence[str] | None, path: Path) -> None:
    if not fieldnames:
        raise CatalogFileError(
            f"{path}: empty file or no header line (expected: {','.join(CATALOG_COLUMNS)})"
        )
    names = [name.strip() for name in fieldnames]
    unknown = [name for name in names if name not in CATALOG_COLUMNS]
    if unknown:
        raise CatalogFileError(
            f"{path}: header has unknown column(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {','.join(CATALOG_COLUMNS)}"
        )
    missing = sorted(REQUIRED_COLUMNS - set(names))
    if missing:
        raise CatalogFileError(f"{path}: header lacks required column(s) {', '.join(missing)}")


def import_catalog(
    ledger: Ledger,
    path: Path,
    *,
    encoding: str = "utf-8",
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_rows: int = BATCH_ROWS,
) -> ImportReport:
    """Import a catalog CSV (format in docs/catalog.md). Bad rows are reported with their line
    number and skipped; good rows are created or updated in place; a row is never half-applied."""
    # A million rows leave millions of small objects in the per-file claim maps; the cyclic
    # collector's full passes over them made the import quadratic (none of them form cycles).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import_catalog(ledger, path, encoding=encoding, max_bytes=max_bytes, batch_rows=batch_rows)
    finally:
        if collecting:
            gc.enable()


def _import_catalog(
    ledger: Ledger,
    path: Path,
    *,
    encoding: str = "utf-8",
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_rows: int = BATCH_ROWS,
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
    report = ImportReport(path=str(path))
    digest = hashlib.sha256()
    claimed_codes: dict[str, tuple[str, int]] = {}
    seen_skus: dict[str, int] = {}
    batch: list[tuple[int, ItemRecord]] = []
    with path.open("r", encoding=encoding, errors="surrogateescape", newline="") as handle:
        # csv.reader rather than DictReader: its rows are built in C, a million times.
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except csv.Error as err:
            raise CatalogFileError(f"{path}: header is not CSV: {err}") from err
        _check_header(header, path)
        names = [name.strip() for name in header or ()]
        line = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                report.rows += 1
                report.errors.append(RowError(reader.line_num, f"not valid CSV: {err}"))
                line = reader.line_num
                continue
            line_start = line + 1
            line = reader.line_num
            if not fields:
                continue  # a blank line
            report.rows += 1
            extra = len(fields) - len(names)
            row = dict(zip(names, fields, strict=False))
            record = _validate_row(row, extra, line_start, tax_classes, seen_skus, claimed_codes, report)
            if record is not None:
                digest.update(record.sku.encode())
                batch.append((line_start, record))
            if len(batch) >= batch_rows:
                _apply_batch(ledger, batch, report, None)
                batch = []
    final = {"file": path.name, "sha256_skus": digest.hexdigest()}
    _apply_batch(ledger, batch, report, final)
    return report


def _validate_row(
    row: dict[str, str],
    extra: int,
    line: int,
    tax_classes: frozenset[str],
    seen_skus: dict[str, int],
    claimed_codes: dict[str, tuple[str, int]],
    report: ImportReport,
) -> ItemRecord | None:
    def fail(reason: str) -> None:
        report.errors.append(RowError(line, reason))

    if extra > 0:
        fail(f"{extra} more field(s) than the header has columns")
        return None
    if extra < 0:
        fail("fewer fields than the header has columns")
        return None
    try:
        "\x1f".join(row.values()).encode("utf-8")
    except UnicodeEncodeError:
        fail("not valid UTF-8 text (save the file as UTF-8, or pass --encoding gb18030)")
        return None
    try:
        record = parse_item_row(row, tax_classes)
    except InvalidInput as err:
        fail(err.message)
        return None
    if record.sku in seen_skus:
        fail(f"sku {record.sku} already appears on line {seen_skus[record.sku]}")
        return None
    for code in record.codes:
        owner = claimed_codes.get(code.value)
        if owner is not None and owner[0] != record.sku:
            fail(f"barcode {code.value} is also claimed by sku {owner[0]} on line {owner[1]}")
            return None
    seen_skus[record.sku] = line
    for code in record.codes:
        claimed_codes[code.value] = (record.sku, line)
    return record


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


def lookup_plu(conn: Connection, printed: str) -> CatalogItem:
    """The item an in-store label's item code names: the PLU as printed, or without leading zeros."""
    for candidate in dict.fromkeys((printed, printed.lstrip("0"))):
        row = conn.exec_driver_sql(
            f"SELECT {_ITEM_COLUMNS} FROM item_code c JOIN item i ON i.sku = c.sku "
            "WHERE c.code = ? AND c.kind = 'plu'",
            (candidate,),
        ).first()
        if row is not None:
            return _item(tuple(row))
    raise NotFound(f"no item has PLU {printed} (from an in-store label)")


def lookup_code(conn: Connection, raw: str) -> CatalogItem:
    """The item a scanned barcode or typed PLU belongs to; NotFound / InvalidInput otherwise."""
    key = lookup_key(raw)
    row = conn.exec_driver_sql(
        f"SELECT {_ITEM_COLUMNS} FROM item_code c JOIN item i ON i.sku = c.sku WHERE c.code = ?",
        (key,),
    ).first()
    if row is None:
        raise NotFound(f"no item has barcode {raw.strip()}")
    return _item(tuple(row))


def get_item(conn: Connection, sku: str) -> CatalogItem:
    row = conn.exec_driver_sql(
        f"SELECT {_ITEM_COLUMNS} FROM item i WHERE i.sku = ?", (sku,)
    ).first()
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
