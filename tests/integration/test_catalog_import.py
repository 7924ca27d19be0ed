"""Catalog CSV import on a real ledger: good rows in, bad rows reported by line, nothing half-applied."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from edge import catalog, journal
from edge.bootstrap import Node
from edge.catalog import CatalogFileError, import_catalog
from pos.catalog import gtin13_with_check_digit
from pos.errors import NotFound
from tests.support.store import item_row, write_catalog

A = gtin13_with_check_digit("690000000001")
B = gtin13_with_check_digit("690000000002")
C = gtin13_with_check_digit("690000000003")


def _item(node: Node, sku: str) -> catalog.CatalogItem:
    with node.ledger.reader.connect() as conn:
        return catalog.get_item(conn, sku)


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
            catalog.lookup_code(conn, A)  # the old barcode was replaced
        assert catalog.lookup_code(conn, C).sku == "S1"
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
            catalog.get_item(conn, "S9")  # no half row: neither the item nor its other barcode
        with pytest.raises(NotFound):
            catalog.lookup_code(conn, B)


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
