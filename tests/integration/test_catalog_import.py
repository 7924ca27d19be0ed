"""Catalog CSV import on a real ledger: good rows in, bad rows reported by line, nothing half-applied."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from edge import catalog, journal
from edge.bootstrap import Node
from edge.catalog import CatalogFileError, import_catalog
from edge.ledger import driver
from pos.catalog import gtin13_with_check_digit
from pos.errors import NotFound
from tests.support.store import item_row, write_catalog

A = gtin13_with_check_digit("690000000001")
B = gtin13_with_check_digit("690000000002")
C = gtin13_with_check_digit("690000000003")


def _item(node: Node, sku: str) -> catalog.CatalogItem:
    with node.ledger.reader.connect() as conn:
        return catalog.get_item(driver(conn), sku)


def _count(node: Node, table: str) -> int:
    with node.ledger.reader.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar() or 0)


def test_good_rows_are_imported_and_reimport_updates_in_place(node: Node, tmp_path: Path) -> None:
    path = write_catalog(tmp_path / "c.csv", [item_row("S1", A), item_row("S2", f"{B}|10001", unit="kg", price="1380")])
    report = import_catalog(node.ledger, path)
    assert (report.rows, report.created, report.updated, report.errors) == (2, 2, 0, [])
    assert _item(node, "S2").codes == ("0" + B, "10001")

    path = write_catalog(tmp_path / "c.csv", [item_row("S1", C, price="250", name_zh="新名字")])
    report = import_catalog(node.ledger, path)
    assert (report.created, report.updated) == (0, 1)
    item = _item(node, "S1")
    assert (item.price, item.name_zh, item.codes) == (250, "新名字", ("0" + C,))
    with node.ledger.reader.connect() as conn:
        with pytest.raises(NotFound):
            catalog.lookup_code(driver(conn), A)  # the old barcode was replaced
        assert catalog.lookup_code(driver(conn), C).sku == "S1"
    assert _count(node, "item") == 2


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_still_land(node: Node, tmp_path: Path) -> None:
    rows = [
        item_row("OK1", A),  # line 2
        item_row("BAD1", price="-3"),  # line 3
        item_row("BAD2", price="1.99"),  # line 4
        item_row("BAD3", tax_class="VAT17"),  # line 5
        item_row("BAD4", "6900000000015"),  # line 6: bad check digit
        item_row("BAD5", A),  # line 7: barcode already claimed by OK1 on line 2
        item_row("OK1", B),  # line 8: sku twice in one file
        item_row("OK2", B),  # line 9
    ]
    report = import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", rows))
    reasons = {error.line: error.reason for error in report.errors}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "negative" in reasons[3]
    assert "whole number" in reasons[4]
    assert "VAT17" in reasons[5]
    assert "check digit" in reasons[6]
    assert "claimed by sku OK1 on line 2" in reasons[7]
    assert "already appears on line 2" in reasons[8]
    assert report.created == 2 and _count(node, "item") == 2 and _count(node, "item_code") == 2


def test_a_barcode_owned_by_another_item_in_the_ledger_refuses_the_whole_row(node: Node, tmp_path: Path) -> None:
    import_catalog(node.ledger, write_catalog(tmp_path / "a.csv", [item_row("S1", A)]))
    report = import_catalog(node.ledger, write_catalog(tmp_path / "b.csv", [item_row("S9", f"{B}|{A}")]))
    assert [e.reason for e in report.errors] == [f"barcode 0{A} already belongs to item S1"]
    with node.ledger.reader.connect() as conn:
        with pytest.raises(NotFound):
            catalog.get_item(driver(conn), "S9")  # no half row: neither the item nor its other barcode
        with pytest.raises(NotFound):
            catalog.lookup_code(driver(conn), B)


def test_malformed_csv_lines_are_reported(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "sku,name_en,unit,price,tax_class\n"
        "S1,Apple,each,100,VAT13\n"
        "S2,Pear,each\n"
        "S3,Plum,each,100,VAT13,extra\n"
        "\n"
        'S4,"Kiwi, green",each,100,VAT13\n',
        encoding="utf-8",
    )
    report = import_catalog(node.ledger, path)
    reasons = {error.line: error.reason for error in report.errors}
    assert "fewer fields" in reasons[3] and "more field" in reasons[4]
    assert report.created == 2 and _item(node, "S4").name_en == "Kiwi, green"
    assert report.rows == 4  # the blank line 5 is no row


def test_non_utf8_rows_are_reported_and_gb18030_files_import_with_the_option(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "gb.csv"
    path.write_bytes("sku,name_en,name_zh,unit,price,tax_class\nS1,Rice,大米,each,3990,VAT9\n".encode("gb18030"))
    report = import_catalog(node.ledger, path)
    assert report.created == 0 and "not valid UTF-8" in report.errors[0].reason and report.errors[0].line == 2
    report = import_catalog(node.ledger, path, encoding="gb18030")
    assert report.created == 1 and _item(node, "S1").name_zh == "大米"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file or no header"),
        (b"sku,name,price\nS1,x,1\n", "unknown column(s) 'name'"),
        (b"sku,name_en,price\nS1,x,1\n", "lacks required column(s) tax_class, unit"),
    ],
)
def test_files_without_a_usable_header_are_refused(node: Node, tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    before = node.ledger.last_seq()
    with pytest.raises(CatalogFileError, match=re.escape(reason)):
        import_catalog(node.ledger, path)
    assert node.ledger.last_seq() == before and _count(node, "item") == 0


def test_a_2gb_file_is_refused_before_reading(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk used
    with pytest.raises(CatalogFileError, match=r"2\.0 GiB is above the 1\.0 GiB limit"):
        import_catalog(node.ledger, path)
    os.remove(path)


def test_an_import_is_one_journal_row_and_the_chain_holds(node: Node, tmp_path: Path) -> None:
    rows = [item_row(f"S{n}", gtin13_with_check_digit(f"6900000{n:05d}")) for n in range(1, 26)]
    before = node.ledger.last_seq()
    report = import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", rows), batch_rows=10)
    assert report.created == 25 and report.journal_seq == before + 1
    with node.ledger.reader.connect() as conn:
        entry = journal.rows_after(conn, before, 10)[0]
        assert entry.kind == "catalog.imported" and entry.data["created"] == 25
        assert journal.verify(conn).ok


# The worker process path: files of `worker_min_bytes` or more are read by a second process.

IN_PROCESS = 1 << 40  # worker_min_bytes no file reaches
IN_WORKER = 0


def _mixed_file(path: Path) -> Path:
    """Good rows and every kind of bad row, the last line bad (and without a line end)."""
    good = [
        "S1,Apple,苹果,each,100,VAT13,fruit,,{A},true",
        "S2,Pear,梨,kg,1380,VAT0,fruit,,{B}|10001,",
    ]
    lines = [
        "sku,name_en,name_zh,unit,price,tax_class,category,brand,barcodes,active",
        *good,  # lines 2-3
        "S3,Plum,李子,each,-3,VAT13,,,,",  # 4: negative price
        "S4,Kiwi,奇异果,each,1.99,VAT13,,,,",  # 5: not whole
        "S5,Fig,无花果,each",  # 6: fewer fields
        "S6,Lime,青柠,each,100,VAT17,,,,",  # 7: unknown tax class
        "S7,Date,枣,each,100,VAT13,,,6900000000015,",  # 8: bad check digit
        "S8,Lemon,柠檬,each,100,VAT13,,,{A},",  # 9: barcode claimed on line 2
        "S1,Apple again,苹果,each,100,VAT13,,,,",  # 10: sku twice
        "S9,Grape,葡萄,each,100,VAT13,,,{C},",  # 11: barcode owned by OLD in the ledger
        "S10,Melon,甜瓜,each,100,VAT17,,,,",  # 12: unknown tax class
        'S11,"Kiwi, green' + " and so on" * 20_000,  # 13: a quote never closed runs past the field limit
    ]
    text = "\n".join(lines).format(A=A, B=B, C=C)
    path.write_bytes(text.encode("utf-8").replace("青柠".encode(), b"\xc7\xe0\xc4\xfb"))  # line 7: GBK bytes
    return path


@pytest.mark.parametrize("batch_rows", [1, 2, 5000])
def test_the_worker_reports_the_same_rows_and_errors_as_reading_in_process(
    tmp_path: Path, batch_rows: int
) -> None:
    from edge.bootstrap import build_node
    from edge.settings import load_settings
    from tests.support.store import write_config

    path = _mixed_file(tmp_path / "mixed.csv")
    reports = {}
    for name, worker_min_bytes in (("in_process", IN_PROCESS), ("worker", IN_WORKER)):
        node = build_node(load_settings(write_config(tmp_path / name)), init=True)
        try:
            import_catalog(node.ledger, write_catalog(tmp_path / f"{name}-old.csv", [item_row("OLD", C)]))
            reports[name] = import_catalog(
                node.ledger, path, batch_rows=batch_rows, worker_min_bytes=worker_min_bytes
            )
            assert _count(node, "item") == 3 and _count(node, "item_code") == 4
            assert _item(node, "S2").codes == ("0" + B, "10001")
        finally:
            node.close()
    in_process, worker = reports["in_process"], reports["worker"]
    assert [(e.line, e.reason) for e in worker.errors] == [(e.line, e.reason) for e in in_process.errors]
    assert (worker.rows, worker.created, worker.updated) == (in_process.rows, in_process.created, in_process.updated)
    reasons = {e.line: e.reason for e in worker.errors}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert "not valid UTF-8" in reasons[7] and "VAT17" in reasons[12] and "not valid CSV" in reasons[13]
    assert reasons[11] == f"barcode 0{C} already belongs to item OLD"
    assert (worker.rows, worker.created) == (12, 2)


def test_the_worker_refuses_a_file_without_a_usable_header_as_in_process(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"sku,name,price\nS1,x,1\n")
    before = node.ledger.last_seq()
    with pytest.raises(CatalogFileError, match=re.escape("unknown column(s) 'name'")):
        import_catalog(node.ledger, path, worker_min_bytes=IN_WORKER)
    with pytest.raises(CatalogFileError, match="unknown encoding 'no-such-codec'"):
        import_catalog(node.ledger, path, encoding="no-such-codec", worker_min_bytes=IN_WORKER)
    assert node.ledger.last_seq() == before and _count(node, "item") == 0


def _numbered_rows(count: int, price: str = "199") -> list[dict[str, str]]:
    return [item_row(f"S{n:05d}", gtin13_with_check_digit(f"6900000{n:05d}"), price=price) for n in range(1, count + 1)]


def test_a_worker_that_dies_stops_the_import_with_whole_rows_only_and_a_rerun_finishes(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edge import catalog_reader

    # More batches than the pipe holds: the worker is still mid-file when it is killed.
    path = write_catalog(tmp_path / "c.csv", _numbered_rows(3000))
    workers = []
    real_popen = catalog_reader.subprocess.Popen

    def remembered_popen(*args: object, **kwargs: object) -> object:
        workers.append(real_popen(*args, **kwargs))  # type: ignore[call-overload]
        return workers[-1]

    real_apply = catalog._apply_batch

    def apply_then_kill_the_worker(*args: object, **kwargs: object) -> None:
        real_apply(*args, **kwargs)  # type: ignore[arg-type]
        if workers[0].poll() is None:
            workers[0].kill()  # SIGKILL after the first batch landed
            workers[0].wait()

    monkeypatch.setattr(catalog_reader.subprocess, "Popen", remembered_popen)
    monkeypatch.setattr(catalog, "_apply_batch", apply_then_kill_the_worker)
    before = node.ledger.last_seq()
    with pytest.raises(catalog.CatalogImportStopped, match=r"ended unexpectedly \(killed by signal 9\)") as stopped:
        import_catalog(node.ledger, path, batch_rows=100, worker_min_bytes=IN_WORKER)
    applied_to = int(re.search(r"rows up to line (\d+) were applied", stopped.value.message).group(1))  # type: ignore[union-attr]
    assert 101 <= applied_to < 3001 and (applied_to - 1) % 100 == 0  # whole batches
    applied = applied_to - 1
    assert _count(node, "item") == applied and _count(node, "item_code") == applied  # every item with its barcode
    assert node.ledger.last_seq() == before  # no catalog.imported row for an import that did not finish
    with node.ledger.reader.connect() as conn:
        assert journal.verify(conn).ok

    monkeypatch.undo()
    report = import_catalog(node.ledger, path, batch_rows=100, worker_min_bytes=IN_WORKER)
    assert (report.created, report.updated, report.errors) == (3000 - applied, applied, [])
    assert _count(node, "item") == 3000 and _count(node, "item_code") == 3000


def test_the_worker_is_ended_when_writing_a_batch_fails(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edge import catalog_reader

    path = write_catalog(tmp_path / "c.csv", _numbered_rows(400))
    workers = []
    real_popen = catalog_reader.subprocess.Popen

    def remembered_popen(*args: object, **kwargs: object) -> object:
        workers.append(real_popen(*args, **kwargs))  # type: ignore[call-overload]
        return workers[-1]

    def failing_apply(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(catalog_reader.subprocess, "Popen", remembered_popen)
    monkeypatch.setattr(catalog, "_apply_batch", failing_apply)
    with pytest.raises(OSError, match="disk full"):
        import_catalog(node.ledger, path, batch_rows=10, worker_min_bytes=IN_WORKER)
    assert workers[0].poll() is not None  # not left reading in the background
    assert _count(node, "item") == 0


def test_a_large_reimport_through_the_worker_updates_in_place(node: Node, tmp_path: Path) -> None:
    import_catalog(node.ledger, write_catalog(tmp_path / "a.csv", _numbered_rows(300)), worker_min_bytes=IN_WORKER)
    report = import_catalog(
        node.ledger, write_catalog(tmp_path / "b.csv", _numbered_rows(300, price="250")),
        batch_rows=64, worker_min_bytes=IN_WORKER,
    )
    assert (report.created, report.updated, report.errors) == (0, 300, [])
    assert _item(node, "S00300").price == 250 and _count(node, "item_code") == 300
    with node.ledger.reader.connect() as conn:
        assert journal.rows_after(conn, report.journal_seq - 1, 1)[0].data["updated"] == 300  # type: ignore[operator]
