"""Reading a catalog CSV into batches of validated rows, in this process or in a worker process.

The worker lets a large import use two cores: it parses and validates the file while the
importing process writes the previous batch to the ledger. Both paths run the same
`read_catalog`, so they report the same errors for the same file. This module stays light
(no SQLAlchemy) because the worker process imports it.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import marshal
import os
import signal
import struct
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

from edge.errors import NodeError
from pos.catalog import CATALOG_COLUMNS, REQUIRED_COLUMNS, parse_item_values
from pos.errors import InvalidInput

# One item as the ledger's INSERT wants it, less `updated_at`:
# sku, name_en, name_zh, unit, price, tax_class, category, brand, active.
ItemColumns = tuple[str, str, str, str, int, str, str, str, bool]


class CatalogFileError(NodeError):
    """The file as a whole cannot be imported (missing, too big, no usable header)."""


class CatalogImportStopped(NodeError):
    """The import stopped part way (the reading process died); applied batches stay whole."""


@dataclass
class ReadBatch:
    """Validated rows ready to apply, and what the reader found since the previous batch."""

    rows: int = 0  # rows read (good and bad), blank lines not counted
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    lines: list[int] = field(default_factory=list)
    items: list[ItemColumns] = field(default_factory=list)
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # (stored code, kind, sku), in line order
    last_line: int = 0  # the file's last line read so far
    sha256_skus: str | None = None  # set on the file's last batch only


def check_header(fieldnames: Sequence[str] | None, path: Path) -> None:
    """Refuse a header with no columns, unknown columns or missing required ones."""
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


def read_catalog(
    path: Path, encoding: str, tax_classes: frozenset[str], batch_rows: int
) -> Iterator[ReadBatch]:
    """Validated rows of a catalog CSV in batches of `batch_rows` good rows; the last batch
    carries the digest of the accepted SKUs. Checks within the file (an SKU twice, a barcode
    claimed by two items) happen here; claims against the ledger happen when a batch is applied."""
    digest = hashlib.sha256()
    claimed_codes: dict[str, tuple[str, int]] = {}
    seen_skus: dict[str, int] = {}
    batch = ReadBatch()
    try:
        handle = path.open("r", encoding=encoding, errors="surrogateescape", newline="")
    except OSError as err:
        raise CatalogFileError(f"{path}: cannot read: {err.strerror}") from err
    except LookupError as err:
        raise CatalogFileError(f"{path}: unknown encoding {encoding!r}") from err
    with handle:
        # csv.reader rather than DictReader: its rows are built in C, a million times.
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except csv.Error as err:
            raise CatalogFileError(f"{path}: header is not CSV: {err}") from err
        check_header(header, path)
        names = [name.strip() for name in header or ()]
        # Each row's values in CATALOG_COLUMNS order, picked in C; an absent column picks
        # the "" appended after the row's last field (a repeated column: its last copy wins).
        where = {name: index for index, name in enumerate(names)}
        pick = itemgetter(*(where.get(name, len(names)) for name in CATALOG_COLUMNS))
        width = len(names)
        line = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                batch.rows += 1
                batch.errors.append((reader.line_num, f"not valid CSV: {err}"))
                line = reader.line_num
                continue
            line_start = line + 1
            line = reader.line_num
            if not fields:
                continue  # a blank line
            batch.rows += 1
            extra = len(fields) - width
            if extra > 0:
                reason: str | None = f"{extra} more field(s) than the header has columns"
            elif extra < 0:
                reason = "fewer fields than the header has columns"
            elif not _is_utf8(fields):
                reason = "not valid UTF-8 text (save the file as UTF-8, or pass --encoding gb18030)"
            else:
                fields.append("")
                values = [value.strip() for value in pick(fields)]
                reason = _row_problem(values, line_start, tax_classes, seen_skus, claimed_codes, batch)
            if reason is not None:
                batch.errors.append((line_start, reason))
            else:
                digest.update(batch.items[-1][0].encode())
            if len(batch.lines) >= batch_rows:
                batch.last_line = line
                yield batch
                batch = ReadBatch()
        batch.last_line = line
    batch.sha256_skus = digest.hexdigest()
    yield batch


def _is_utf8(fields: list[str]) -> bool:
    """False when the file's bytes were not UTF-8 (they decode to lone surrogates here)."""
    try:
        "\x1f".join(fields).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _row_problem(
    values: Sequence[str],
    line: int,
    tax_classes: frozenset[str],
    seen_skus: dict[str, int],
    claimed_codes: dict[str, tuple[str, int]],
    batch: ReadBatch,
) -> str | None:
    """Why a row is refused, or None after adding it to the batch."""
    try:
        item = parse_item_values(values, tax_classes)
    except InvalidInput as err:
        return err.message
    sku, codes = item[0], item[9]
    if sku in seen_skus:
        return f"sku {sku} already appears on line {seen_skus[sku]}"
    for value, _ in codes:
        owner = claimed_codes.get(value)
        if owner is not None and owner[0] != sku:
            return f"barcode {value} is also claimed by sku {owner[0]} on line {owner[1]}"
    seen_skus[sku] = line
    claim = (sku, line)
    for value, kind in codes:
        claimed_codes[value] = claim
        batch.codes.append((value, kind, sku))
    batch.lines.append(line)
    batch.items.append(item[:9])
    return None


# The worker speaks in frames on a pipe of its own (stdout stays free for stray prints):
# 8 bytes of length, then one marshal'd message. marshal, not pickle: plain tuples, and
# several times faster for them.
_LENGTH = struct.Struct("<Q")
_BATCH, _REFUSED, _CRASHED = "batch", "refused", "crashed"


def _write_frame(out: BinaryIO, message: tuple[Any, ...]) -> None:
    data = marshal.dumps(message)
    out.write(_LENGTH.pack(len(data)))
    out.write(data)


def _read_frame(source: BinaryIO) -> tuple[Any, ...] | None:
    """The next message, or None when the worker's end closed before a whole frame."""
    head = source.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = source.read(size)
    if len(data) < size:
        return None
    message: tuple[Any, ...] = marshal.loads(data)
    return message


def _worker_main(argv: Sequence[str]) -> int:
    """The worker process: read the file, write each batch as a frame, then end."""
    gc.disable()  # see import_catalog: the claim maps hold millions of objects, none in cycles
    # Ctrl-C reaches the whole process group: the importer handles it and closes the pipe,
    # which ends this process quietly (no second traceback from here).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd, path, encoding, batch_rows, *tax_classes = argv
    try:
        with open(int(fd), "wb", buffering=1 << 20) as out:
            try:
                for b in read_catalog(Path(path), encoding, frozenset(tax_classes), int(batch_rows)):
                    _write_frame(out, (_BATCH, b.rows, b.errors, b.lines, b.items, b.codes, b.last_line, b.sha256_skus))
                    out.flush()  # hand the batch over now: the importer writes while we read on
            except CatalogFileError as err:
                _write_frame(out, (_REFUSED, err.message))
            except BrokenPipeError:
                raise
            except Exception as err:  # reported to the importing process, which raises
                _write_frame(out, (_CRASHED, f"{type(err).__name__}: {err}"))
    except BrokenPipeError:
        return 1  # the importer stopped early and closed its end: nobody is listening
    return 0


def read_catalog_in_worker(
    path: Path, encoding: str, tax_classes: frozenset[str], batch_rows: int
) -> Iterator[ReadBatch]:
    """The batches of `read_catalog`, read by a worker process about a batch ahead of the caller.

    Raises CatalogFileError as `read_catalog` would, and CatalogImportStopped when the
    worker dies or fails; the worker is ended when the caller stops early."""
    # A fresh interpreter (not multiprocessing's fork or spawn): nothing of this process's
    # SQLite connections or threads is copied, and the caller's __main__ is never re-run.
    read_end, write_end = os.pipe()
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "edge.catalog_reader", str(write_end), os.fsdecode(path), encoding,
             str(batch_rows), *sorted(tax_classes)],
            pass_fds=(write_end,), env=env, stdin=subprocess.DEVNULL,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # the worker holds the only write end: its death shows as end-of-file
    last_line = 0
    try:
        with open(read_end, "rb", buffering=1 << 20) as source:
            while True:
                message = _read_frame(source)
                if message is None:
                    raise CatalogImportStopped(
                        f"{path}: the process reading the file ended unexpectedly "
                        f"({_ended(worker)}); rows up to line {last_line} were "
                        "applied whole, none after; run the same import again to finish "
                        "(it updates in place)"
                    )
                kind, *body = message
                if kind == _REFUSED:
                    raise CatalogFileError(body[0])
                if kind == _CRASHED:
                    raise CatalogImportStopped(
                        f"{path}: reading the file failed after line {last_line} ({body[0]}); "
                        f"rows up to line {last_line} were applied whole, none after"
                    )
                batch = ReadBatch(*body)
                yield batch
                last_line = batch.last_line
                if batch.sha256_skus is not None:
                    return
    finally:
        _ended(worker)


def _ended(worker: subprocess.Popen[bytes]) -> str:
    """Wait for the worker to end (ending it if the caller stopped early); how it ended."""
    try:
        exitcode = worker.wait(timeout=5)
    except subprocess.TimeoutExpired:  # the caller stopped early and the worker reads on
        worker.kill()
        exitcode = worker.wait()
    if exitcode < 0:
        return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


if __name__ == "__main__":
    raise SystemExit(_worker_main(sys.argv[1:]))
