"""Weighed items: a weight from the scale, or a price or weight embedded in an in-store label.

In-store labels are GS1 restricted circulation numbers (EAN-13 with prefix 02 or 20-29). The
store configures their layout, e.g. `"PP IIIII VVVVV C"`: P prefix, I item code (the PLU to look
up), V value (price in minor units or weight in grams), K an optional check digit over the
value, C the EAN-13 check digit. Spaces are ignored. Check digits are biip's GS1 routines.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from biip import ParseError
from biip.checksums import gs1_price_weight_check_digit
from biip.gtin import Gtin
from biip.rcn import Rcn, RcnUsage

from pos.errors import InvalidInput
from pos.money import div_round_half_up

GRAMS_PER_KG = 1000
MIN_GRAMS = 1
MAX_GRAMS = 50_000  # 50 kg: more than a lane scale takes
DEFAULT_SCALE_MIN_GRAMS = 2  # below a typical retail scale's minimum load (20 e at e = 0.1 g)
LABEL_PREFIXES = frozenset({"02", *(f"2{d}" for d in range(10))})


def weighed_amount_half_up(price_per_kg: int, grams: int) -> int:
    """Price of `grams` at `price_per_kg`, rounded to the minor unit, halves up."""
    return div_round_half_up(price_per_kg * grams, GRAMS_PER_KG)


def check_grams(grams: int, what: str = "weight") -> int:
    """A weight in grams within 1 g .. 50 kg; InvalidInput naming the weight otherwise."""
    if grams < MIN_GRAMS:
        raise InvalidInput(f"{what} {grams} g is not a positive weight")
    if grams > MAX_GRAMS:
        raise InvalidInput(f"{what} {grams} g is above the maximum {MAX_GRAMS} g (50 kg)")
    return grams


@dataclass(frozen=True, slots=True)
class ScaleReading:
    """One reading from a lane scale, as its driver reports it."""

    grams: int
    stable: bool
    scale_id: str = ""


def weight_from_scale(
    reading: ScaleReading,
    *,
    min_grams: int = DEFAULT_SCALE_MIN_GRAMS,
    max_grams: int = MAX_GRAMS,
) -> int:
    """The weight to sell: only a stable reading between the scale's minimum and maximum."""
    name = f"scale {reading.scale_id}" if reading.scale_id else "the scale"
    if not reading.stable:
        raise InvalidInput(
            f"{name} is not stable ({reading.grams} g): wait for the weight to settle"
        )
    if reading.grams <= 0:
        raise InvalidInput(f"{name} shows {reading.grams} g: put the item on the scale")
    if reading.grams < min_grams:
        raise InvalidInput(f"{name} shows {reading.grams} g, below its minimum of {min_grams} g")
    if reading.grams > min(max_grams, MAX_GRAMS):
        raise InvalidInput(
            f"{name} shows {reading.grams} g, above the maximum of {min(max_grams, MAX_GRAMS)} g"
        )
    return reading.grams


class EmbeddedValue(enum.StrEnum):
    PRICE = "price"  # minor units
    WEIGHT = "weight"  # grams


@dataclass(frozen=True, slots=True)
class LabelLayout:
    """A parsed label layout: where the item code, the value and the value's check digit sit."""

    pattern: str
    value_kind: EmbeddedValue
    item: tuple[int, int]
    value: tuple[int, int]
    value_check: int | None  # index of K, when the layout has one


def _run(pattern: str, char: str, layout_text: str) -> tuple[int, int]:
    start, stop = pattern.find(char), pattern.rfind(char) + 1
    if start < 0 or pattern[start:stop] != char * (stop - start):
        raise InvalidInput(f"label layout {layout_text!r} needs one unbroken run of {char!r}")
    return start, stop


def parse_label_layout(
    text: str, value_kind: EmbeddedValue | str = EmbeddedValue.PRICE
) -> LabelLayout:
    """Parse a configured layout like `"PP IIIII VVVVV C"` or `"PP IIII K VVVVV C"`."""
    pattern = text.replace(" ", "").upper()
    if len(pattern) != 13 or set(pattern) - set("PIVKC"):
        raise InvalidInput(
            f"label layout {text!r} must be 13 of P, I, V, K, C (EAN-13), e.g. 'PP IIIII VVVVV C'"
        )
    if not pattern.startswith("PP") or pattern.endswith("CC") or not pattern.endswith("C"):
        raise InvalidInput(f"label layout {text!r} must start with PP and end with one C")
    if "C" in pattern[:-1]:
        raise InvalidInput(f"label layout {text!r} may have C only as the last digit")
    prefix_stop = len(pattern) - len(pattern.lstrip("P"))
    if "P" in pattern[prefix_stop:]:
        raise InvalidInput(f"label layout {text!r} may have P only at the start")
    item = _run(pattern, "I", text)
    value = _run(pattern, "V", text)
    value_check: int | None = None
    if "K" in pattern:
        if pattern.count("K") != 1 or value[1] - value[0] not in (4, 5):
            raise InvalidInput(
                f"label layout {text!r}: a value check digit K needs exactly one K and 4 or 5 V"
            )
        value_check = pattern.index("K")
    try:
        kind = EmbeddedValue(value_kind)
    except ValueError:
        raise InvalidInput(f"label value {value_kind!r} must be 'price' or 'weight'") from None
    return LabelLayout(pattern, kind, item, value, value_check)


@dataclass(frozen=True, slots=True)
class LabelBarcode:
    """What an in-store label says: the item code to look up and its price or weight."""

    barcode: str  # normalised to 13 digits
    item_code: str  # digits as printed; the PLU to look up
    value_kind: EmbeddedValue
    price: int | None  # minor units, for price labels
    grams: int | None  # for weight labels


def _as_ean13(raw: str) -> str:
    code = raw.strip()
    # A UPC-A scanner reports "2xxxxxxxxxxx": the same number as EAN-13 "02xxxxxxxxxxx".
    return "0" + code if len(code) == 12 else code


def is_label_barcode(raw: str) -> bool:
    """True when `raw` is shaped like an in-store label (13 digits, prefix 02 or 20-29)."""
    code = _as_ean13(raw)
    return len(code) == 13 and code.isascii() and code.isdigit() and code[:2] in LABEL_PREFIXES


def parse_label_barcode(raw: str, layout: LabelLayout) -> LabelBarcode:
    """Read an in-store label with the store's layout; InvalidInput naming the barcode."""
    code = _as_ean13(raw)
    if not is_label_barcode(code):
        raise InvalidInput(
            f"barcode {raw.strip()!r} is not an in-store label (13 digits starting 02 or 20-29)"
        )
    try:
        gtin = Gtin.parse(code)
    except ParseError:
        raise InvalidInput(
            f"barcode {code!r} has a bad check digit: scan again or key the PLU"
        ) from None
    if not isinstance(gtin, Rcn) or gtin.usage is not RcnUsage.GEOGRAPHICAL:  # pragma: no cover
        raise InvalidInput(f"barcode {code!r} is not a GS1 restricted circulation number")
    digits = code
    value_digits = digits[layout.value[0] : layout.value[1]]
    if layout.value_check is not None:
        expected = gs1_price_weight_check_digit(value_digits)
        if int(digits[layout.value_check]) != expected:
            raise InvalidInput(
                f"barcode {code!r} has a bad {layout.value_kind.value} check digit: "
                f"expected {expected}, got {digits[layout.value_check]}"
            )
    value = int(value_digits)
    item_code = digits[layout.item[0] : layout.item[1]]
    if layout.value_kind is EmbeddedValue.WEIGHT:
        check_grams(value, f"barcode {code!r} weight")
        return LabelBarcode(code, item_code, layout.value_kind, None, value)
    if value <= 0:
        raise InvalidInput(f"barcode {code!r} carries a price of {value}: weigh the item again")
    return LabelBarcode(code, item_code, layout.value_kind, value, None)
