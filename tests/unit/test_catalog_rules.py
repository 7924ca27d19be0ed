from __future__ import annotations

import pytest
from biip.checksums import gs1_standard_check_digit
from hypothesis import given
from hypothesis import strategies as st

from pos.catalog import (
    CATALOG_COLUMNS,
    CodeKind,
    Unit,
    gs1_check_digit,
    gtin13_with_check_digit,
    item_code_values,
    parse_item_code,
    parse_item_row,
    parse_item_values,
)
from pos.errors import InvalidInput

TAX = frozenset({"VAT13", "VAT9", "VAT0"})


@pytest.mark.parametrize(
    ("raw", "kind", "stored"),
    [
        ("6901234567892", CodeKind.GTIN, "06901234567892"),  # GTIN-13 (EAN-13)
        ("012345678905", CodeKind.GTIN, "00012345678905"),  # GTIN-12 (UPC-A)
        ("96385074", CodeKind.GTIN, "00000096385074"),  # GTIN-8 (EAN-8)
        ("10012345678902", CodeKind.GTIN, "10012345678902"),  # GTIN-14 (ITF-14)
        ("4011", CodeKind.PLU, "4011"),  # IFPS PLU: bananas
        (" 10001 ", CodeKind.PLU, "10001"),  # store PLU, stray spaces from a keyboard
    ],
)
def test_valid_codes_are_normalised(raw: str, kind: CodeKind, stored: str) -> None:
    code = parse_item_code(raw)
    assert (code.kind, code.value) == (kind, stored)


def test_upc_a_and_its_ean13_form_are_the_same_item() -> None:
    assert parse_item_code("012345678905").value == parse_item_code("0012345678905").value


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("6901234567891", "bad check digit: expected 2, got 1"),
        ("690123456789", "bad check digit"),
        ("1234567", "7 digits"),
        ("69012345678X", "digits only"),
        ("", "empty barcode"),
        ("１２３４", "digits only"),  # full-width digits typed on a CJK keyboard
    ],
)
def test_bad_codes_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_item_code(raw)


@given(st.text(alphabet="0123456789", min_size=1, max_size=17))
def test_check_digit_agrees_with_biip(payload: str) -> None:
    assert gs1_check_digit(payload) == gs1_standard_check_digit(payload)


def test_check_digit_helper_makes_valid_codes() -> None:
    assert parse_item_code(gtin13_with_check_digit("690000000001")).kind is CodeKind.GTIN


def _row(**overrides: str) -> dict[str, str]:
    row = {"sku": "A1", "name_en": "Apple", "name_zh": "苹果", "unit": "kg", "price": "1380",
           "tax_class": "VAT0", "category": "produce", "brand": "", "barcodes": "10001|6901234567892", "active": ""}
    row.update(overrides)
    return row


def test_a_good_row_becomes_an_item_record() -> None:
    record = parse_item_row(_row(), TAX)
    assert record.unit is Unit.KG and record.price == 1380 and record.active
    assert [c.value for c in record.codes] == ["10001", "06901234567892"]


def test_name_zh_falls_back_to_name_en() -> None:
    assert parse_item_row(_row(name_zh=""), TAX).name_zh == "Apple"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"price": "-5"}, "price '-5' is negative"),
        ({"price": "12.50"}, "not a whole number"),
        ({"price": ""}, "price is empty"),
        ({"price": "999999999999"}, "above the maximum"),
        ({"tax_class": "VAT17"}, "tax_class 'VAT17' is unknown"),
        ({"unit": "litre"}, "unit 'litre'"),
        ({"sku": ""}, "sku ''"),
        ({"sku": "has space"}, "sku 'has space'"),
        ({"name_en": ""}, "name_en is empty"),
        ({"barcodes": "6901234567891"}, "barcodes: barcode '6901234567891' has a bad check digit"),
        ({"active": "maybe"}, "active 'maybe'"),
    ],
)
def test_bad_rows_name_the_column(overrides: dict[str, str], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_item_row(_row(**overrides), TAX)


# parse_item_values: the same rules on plain values, as a catalog import runs them.

def _values(**overrides: str) -> list[str]:
    row = _row(**overrides)
    return [row.get(name, "").strip() for name in CATALOG_COLUMNS]


def test_plain_values_match_the_item_record() -> None:
    record = parse_item_row(_row(), TAX)
    assert parse_item_values(_values(), TAX) == (
        "A1", "Apple", "苹果", "kg", 1380, "VAT0", "produce", "", True,
        (("10001", "plu"), ("06901234567892", "gtin")),
    )
    assert [(c.value, c.kind.value) for c in record.codes] == list(parse_item_values(_values(), TAX)[9])


@pytest.mark.parametrize(
    "overrides",
    [
        {"price": "-5"}, {"price": "12.50"}, {"price": ""}, {"price": "999999999999"}, {"price": "100000001"},
        {"price": "٣٠٠"}, {"tax_class": "VAT17"}, {"unit": "litre"}, {"unit": "KG"}, {"unit": ""}, {"sku": ""},
        {"sku": "has space"}, {"name_en": ""}, {"name_zh": "长" * 121}, {"barcodes": "6901234567891"},
        {"barcodes": "123"}, {"barcodes": "10001 10001;;6901234567892"}, {"active": "maybe"}, {"active": "否"},
        {"active": "YES"},
    ],
)
def test_plain_values_and_the_row_give_the_same_answer(overrides: dict[str, str]) -> None:
    try:
        record = parse_item_row(_row(**overrides), TAX)
    except InvalidInput as err:
        with pytest.raises(InvalidInput) as plain:
            parse_item_values(_values(**overrides), TAX)
        assert plain.value.message == err.message
    else:
        values = parse_item_values(_values(**overrides), TAX)
        assert values[:9] == (record.sku, record.name_en, record.name_zh, record.unit.value, record.price,
                              record.tax_class, record.category, record.brand, record.active)
        assert values[9] == tuple((c.value, c.kind.value) for c in record.codes)


def test_code_values_are_plain_strings() -> None:
    value, kind = item_code_values(" 012345678905 ")
    assert (value, kind) == ("00012345678905", "gtin") and type(kind) is str


@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩", min_size=1, max_size=17))
def test_check_digit_of_other_scripts_digits_agrees_with_int(payload: str) -> None:
    ascii_payload = "".join(str(int(ch)) for ch in payload)
    assert gs1_check_digit(payload) == gs1_check_digit(ascii_payload) == gs1_standard_check_digit(ascii_payload)
