from __future__ import annotations

import pytest
from biip.checksums import gs1_price_weight_check_digit
from hypothesis import given
from hypothesis import strategies as st

from pos.catalog import gtin13_with_check_digit
from pos.errors import InvalidInput
from pos.weighed import (
    MAX_GRAMS,
    EmbeddedValue,
    ScaleReading,
    is_label_barcode,
    parse_label_barcode,
    parse_label_layout,
    weighed_amount_half_up,
    weight_from_scale,
)

PRICE_LAYOUT = parse_label_layout("PP IIIII VVVVV C", "price")
WEIGHT_LAYOUT = parse_label_layout("PPIIIIIVVVVVC", EmbeddedValue.WEIGHT)


def label(payload12: str) -> str:
    return gtin13_with_check_digit(payload12)


def test_stable_reading_in_range_is_the_weight() -> None:
    assert weight_from_scale(ScaleReading(1234, stable=True, scale_id="S1")) == 1234


@pytest.mark.parametrize(
    ("reading", "message"),
    [
        (ScaleReading(500, stable=False, scale_id="S1"), "scale S1 is not stable"),
        (ScaleReading(0, stable=True), "shows 0 g: put the item on the scale"),
        (ScaleReading(-20, stable=True), "shows -20 g"),
        (ScaleReading(1, stable=True), "below its minimum of 2 g"),
        (ScaleReading(MAX_GRAMS + 1, stable=True), "above the maximum of 50000 g"),
    ],
)
def test_unusable_readings_are_refused(reading: ScaleReading, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        weight_from_scale(reading)


def test_scale_limits_can_be_narrower() -> None:
    with pytest.raises(InvalidInput, match="above the maximum of 15000 g"):
        weight_from_scale(ScaleReading(15001, stable=True), max_grams=15000)
    with pytest.raises(InvalidInput, match="minimum of 40 g"):
        weight_from_scale(ScaleReading(39, stable=True), min_grams=40)


@pytest.mark.parametrize(
    ("price_per_kg", "grams", "amount"),
    [(1000, 1500, 1500), (1299, 333, 433), (1999, 250, 500), (1, 500, 1), (1, 499, 0)],
)
def test_weighed_amount_rounds_half_up(price_per_kg: int, grams: int, amount: int) -> None:
    # 1299 * 0.333 = 432.567 -> 433; 1999 * 0.25 = 499.75 -> 500; 0.5 -> 1
    assert weighed_amount_half_up(price_per_kg, grams) == amount


def test_price_label_gives_item_code_and_price() -> None:
    code = label("201234501299")
    parsed = parse_label_barcode(code, PRICE_LAYOUT)
    assert (parsed.item_code, parsed.price, parsed.grams) == ("12345", 1299, None)
    assert parsed.barcode == code


def test_weight_label_gives_grams() -> None:
    parsed = parse_label_barcode(label("281234500750"), WEIGHT_LAYOUT)
    assert (parsed.item_code, parsed.grams, parsed.price) == ("12345", 750, None)


def test_prefix_02_and_upc_a_form_are_labels() -> None:
    code = label("021234501299")
    assert parse_label_barcode(code, PRICE_LAYOUT).price == 1299
    # A UPC-A scanner drops the leading zero of an 02 label.
    assert parse_label_barcode(code[1:], PRICE_LAYOUT).item_code == "12345"


def test_label_with_price_check_digit() -> None:
    layout = parse_label_layout("PP IIII K VVVVV C")
    value = "01299"
    payload = "2" + "1" + "1234" + str(gs1_price_weight_check_digit(value)) + value
    parsed = parse_label_barcode(label(payload), layout)
    assert (parsed.item_code, parsed.price) == ("1234", 1299)
    wrong = str((gs1_price_weight_check_digit(value) + 1) % 10)
    with pytest.raises(InvalidInput, match="bad price check digit"):
        parse_label_barcode(label("211234" + wrong + value), layout)


def test_bad_check_digit_names_the_barcode() -> None:
    good = label("201234501299")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidInput, match=f"barcode '{bad}' has a bad check digit"):
        parse_label_barcode(bad, PRICE_LAYOUT)


def test_ordinary_gtin_is_not_a_label() -> None:
    gtin = label("690123456789")
    assert not is_label_barcode(gtin)
    with pytest.raises(InvalidInput, match="not an in-store label"):
        parse_label_barcode(gtin, PRICE_LAYOUT)
    assert is_label_barcode(label("291234500100"))
    assert not is_label_barcode("20123")


def test_zero_price_or_weight_is_refused() -> None:
    with pytest.raises(InvalidInput, match="price of 0"):
        parse_label_barcode(label("201234500000"), PRICE_LAYOUT)
    with pytest.raises(InvalidInput, match="weight 0 g"):
        parse_label_barcode(label("201234500000"), WEIGHT_LAYOUT)
    heavy = parse_label_layout("PP IIII VVVVVV C", "weight")
    with pytest.raises(InvalidInput, match="above the maximum"):
        parse_label_barcode(label("201234060000"), heavy)


@pytest.mark.parametrize(
    "layout",
    [
        "PP IIIII VVVV C",  # 12 digits
        "PP IIIII VVVVV X",  # unknown letter
        "P IIIIII VVVVV C",  # one prefix digit
        "PP IIVII VVVV C",  # item code broken
        "PP IIIII VVVVC C",  # two C
        "PP IIIKI VVVVV C",  # item code broken by K
        "PP II KK VVVVV C",  # two K
        "PP I K VVVVVVV C",  # K with 7 V
    ],
)
def test_bad_layouts_are_refused(layout: str) -> None:
    with pytest.raises(InvalidInput, match="label layout"):
        parse_label_layout(layout)


def test_bad_value_kind_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'count'"):
        parse_label_layout("PP IIIII VVVVV C", "count")


@given(
    st.sampled_from(["02", *(f"2{d}" for d in range(10))]),
    st.integers(0, 99999),
    st.integers(1, 99999),
)
def test_any_price_label_reads_back(prefix: str, item: int, price: int) -> None:
    code = label(f"{prefix}{item:05d}{price:05d}")
    parsed = parse_label_barcode(code, PRICE_LAYOUT)
    assert (parsed.item_code, parsed.price) == (f"{item:05d}", price)
