"""Catalog rules: items, their barcodes and PLUs, and how a catalog row is validated."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pos.errors import InvalidInput

MAX_PRICE = 100_000_000  # 1,000,000.00 in minor units: anything above is a typo, not a price
PLU_PATTERN = re.compile(r"^[0-9]{4,6}$")
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
GTIN_LENGTHS = frozenset({8, 12, 13, 14})
CODE_SEPARATORS = re.compile(r"[|;\s]+")


class Unit(enum.StrEnum):
    """How an item is sold: per piece, or by weight (price per kg, quantity in grams)."""

    EACH = "each"
    KG = "kg"


class CodeKind(enum.StrEnum):
    GTIN = "gtin"
    PLU = "plu"


@dataclass(frozen=True, slots=True)
class ItemCode:
    """A scannable or typed code for an item, normalised for storage and lookup.

    GTINs are stored as GTIN-14 (GS1's advice: an EAN-13 and the same UPC-A match);
    store PLUs (4 to 6 digits) are stored as typed.
    """

    kind: CodeKind
    value: str


_GTIN, _PLU = CodeKind.GTIN.value, CodeKind.PLU.value

def gs1_check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit of a digit string (weights 3,1,3,... from the right).

    Same result as biip's `gs1_standard_check_digit` (a test holds them equal); this one
    sums the ASCII bytes in C instead of looping per digit in Python, which a million-row
    catalog import needs. biip still parses everything else (RCNs, GS1 element strings).
    """
    if not payload.isascii():  # other scripts' digits: int() knows them, bytes do not
        return -(3 * sum(map(int, payload[::-1][::2])) + sum(map(int, payload[::-1][1::2]))) % 10
    data = payload.encode("ascii")
    odd, even = data[::-2], data[-2::-2]  # from the right: weight 3, then weight 1
    return -(3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)) % 10


def item_code_values(raw: str) -> tuple[str, str]:
    """A barcode or PLU as (stored value, kind) plain strings; raises InvalidInput naming the problem."""
    code = raw.strip()
    if not code:
        raise InvalidInput("empty barcode")
    if not code.isdigit() or not code.isascii():
        raise InvalidInput(f"barcode {code!r} must contain digits only")
    length = len(code)
    if 4 <= length <= 6:  # PLU_PATTERN, without the regex: digits were checked above
        return code, _PLU
    if length not in GTIN_LENGTHS:
        raise InvalidInput(
            f"barcode {code!r} has {length} digits: expected a GTIN-8/12/13/14 or a 4-6 digit PLU"
        )
    expected = gs1_check_digit(code[:-1])
    if ord(code[-1]) - 48 != expected:
        raise InvalidInput(
            f"barcode {code!r} has a bad check digit: expected {expected}, got {code[-1]}"
        )
    return code.zfill(14), _GTIN


def parse_item_code(raw: str) -> ItemCode:
    """Validate a barcode or PLU and normalise it; raises InvalidInput naming the problem."""
    value, kind = item_code_values(raw)
    return ItemCode(CodeKind(kind), value)


def lookup_key(raw: str) -> str:
    """The stored form of a scanned code, for lookups (same rules as `parse_item_code`)."""
    return parse_item_code(raw).value


@dataclass(frozen=True, slots=True)
class TaxClass:
    code: str
    rate_bp: int  # basis points: 1300 = 13 %
    name_en: str
    name_zh: str


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One validated catalog item, ready to be stored."""

    sku: str
    name_en: str
    name_zh: str
    unit: Unit
    price: int  # minor units; per kg when unit is KG
    tax_class: str
    category: str
    brand: str
    active: bool
    codes: tuple[ItemCode, ...]


CATALOG_COLUMNS = (
    "sku",
    "name_en",
    "name_zh",
    "unit",
    "price",
    "tax_class",
    "category",
    "brand",
    "barcodes",
    "active",
)
REQUIRED_COLUMNS = frozenset({"sku", "name_en", "unit", "price", "tax_class"})
_TRUE = frozenset({"1", "true", "yes", "y", "是"})
_FALSE = frozenset({"0", "false", "no", "n", "否"})


def parse_price(raw: str, field: str = "price") -> int:
    """A price in minor units: a non-negative integer, no decimals, below MAX_PRICE."""
    text = raw.strip()
    if not text:
        raise InvalidInput(f"{field} is empty")
    if text.startswith("-"):
        raise InvalidInput(f"{field} {text!r} is negative")
    if not text.isdigit() or not text.isascii():
        raise InvalidInput(f"{field} {text!r} is not a whole number of minor units (fen/cents)")
    value = int(text)
    if value > MAX_PRICE:
        raise InvalidInput(f"{field} {value} is above the maximum {MAX_PRICE}")
    return value


def parse_item_row(row: Mapping[str, str | None], tax_classes: frozenset[str]) -> ItemRecord:
    """Validate one catalog CSV row; raises InvalidInput naming the column and the reason."""
    values = [(row.get(name) or "").strip() for name in CATALOG_COLUMNS]
    sku, name_en, name_zh, unit, price, tax_class, category, brand, active, codes = parse_item_values(
        values, tax_classes
    )
    return ItemRecord(
        sku=sku,
        name_en=name_en,
        name_zh=name_zh,
        unit=Unit(unit),
        price=price,
        tax_class=tax_class,
        category=category,
        brand=brand,
        active=active,
        codes=tuple(ItemCode(CodeKind(kind), value) for value, kind in codes),
    )


# sku, name_en, name_zh, unit, price, tax_class, category, brand, active, codes as
# ((stored value, kind), ...): plain values, cheap to build and to send between processes.
ItemValues = tuple[str, str, str, str, int, str, str, str, bool, tuple[tuple[str, str], ...]]
_UNITS = {unit.value: unit.value for unit in Unit}


def parse_item_values(values: Sequence[str], tax_classes: frozenset[str]) -> ItemValues:
    """The rules of `parse_item_row` on a row's stripped values in CATALOG_COLUMNS order,
    giving plain values; a catalog import runs this a million times."""
    sku, name_en, name_zh, unit_text, price_text, tax_class, category, brand, barcodes, active_text = values
    if not SKU_PATTERN.match(sku):
        raise InvalidInput(
            f"sku {sku!r} must be 1-40 letters, digits, '.', '_' or '-' starting with a letter or digit"
        )
    name_zh = name_zh or name_en
    if not name_en:
        raise InvalidInput("name_en is empty")
    if len(name_en) > 120 or len(name_zh) > 120:
        raise InvalidInput("name_en/name_zh is longer than 120 characters")
    unit = _UNITS.get(unit_text)
    if unit is None:
        unit_text = unit_text.lower() or "each"
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise InvalidInput(f"unit {unit_text!r} must be 'each' or 'kg'")
    if price_text.isdigit() and price_text.isascii() and len(price_text) < 10:
        price = int(price_text)  # the common case, checked as parse_price would
        if price > MAX_PRICE:
            raise InvalidInput(f"price {price} is above the maximum {MAX_PRICE}")
    else:
        price = parse_price(price_text)
    if tax_class not in tax_classes:
        known = ", ".join(sorted(tax_classes)) or "none configured"
        raise InvalidInput(f"tax_class {tax_class!r} is unknown (known: {known})")
    active_text = active_text.lower()
    if not active_text or active_text in _TRUE:
        active = True
    elif active_text in _FALSE:
        active = False
    else:
        raise InvalidInput(f"active {active_text!r} must be true or false")
    codes: list[tuple[str, str]] = []
    raw_codes = [barcodes] if barcodes.isdigit() else CODE_SEPARATORS.split(barcodes)
    for raw_code in raw_codes:
        if not raw_code:
            continue
        try:
            code = item_code_values(raw_code)
        except InvalidInput as err:
            raise InvalidInput(f"barcodes: {err.message}") from None
        if code not in codes:
            codes.append(code)
    return sku, name_en, name_zh, unit, price, tax_class, category, brand, active, tuple(codes)


def gtin13_with_check_digit(payload12: str) -> str:
    """Append the GS1 check digit to a 12-digit payload (used to make demo and test codes)."""
    if len(payload12) != 12 or not payload12.isdigit():
        raise InvalidInput(f"GTIN-13 payload {payload12!r} must be 12 digits")
    return payload12 + str(gs1_check_digit(payload12))
