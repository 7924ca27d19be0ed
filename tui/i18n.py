"""The lane's words in zh-CN and en (JSON catalogs beside this module), money and column fitting.

Chinese characters take two terminal cells: columns are cut and padded by cell width
(`rich.cells.cell_len`), never by `len`, so a 金田可乐 line lines up under a Cola line.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

from rich.cells import cell_len

LANGUAGES = ("zh-CN", "en")
_LOCALES = Path(__file__).with_name("locales")
# minor-unit exponents of the currencies a store may run in; the rest have two decimals
_EXPONENT = {"JPY": 0, "KRW": 0, "VND": 0}
_SYMBOL = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


def normalize_language(name: str) -> str:
    """zh, zh_CN, zh-Hans… → zh-CN; anything else English (ValueError for an unknown one)."""
    lowered = name.strip().lower().replace("_", "-")
    if lowered.startswith("zh"):
        return "zh-CN"
    if lowered.startswith("en"):
        return "en"
    raise ValueError(f"unknown language {name!r}: choose one of {', '.join(LANGUAGES)}")


@cache
def catalog(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((_LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    return data


class Messages:
    """The message catalog of one language: `t("key", name=value)`; a missing key shows itself."""

    def __init__(self, language: str) -> None:
        self.language = normalize_language(language)
        self._words = catalog(self.language)
        self._fallback = catalog("en")

    def __call__(self, key: str, **params: object) -> str:
        template = self._words.get(key) or self._fallback.get(key) or key
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template

    def other(self) -> Messages:
        """The other language (the language key toggles between the two)."""
        return Messages("en" if self.language == "zh-CN" else "zh-CN")

    def item_name(self, thing: dict[str, object]) -> str:
        """An item's or promotion's name in this language (falls back to the other)."""
        first, second = ("name_zh", "name_en") if self.language == "zh-CN" else ("name_en", "name_zh")
        return str(thing.get(first) or thing.get(second) or thing.get("sku") or "")


def fit(text: str, width: int, align: Literal["left", "right"] = "left") -> str:
    """`text` cut to `width` terminal cells (with …) and padded to exactly `width`."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        out, used = [], 0
        for char in text:
            size = cell_len(char)
            if used + size > width - 1:
                break
            out.append(char)
            used += size
        text = "".join(out) + "…"
    pad = " " * (width - cell_len(text))
    return pad + text if align == "right" else text + pad


def exponent(currency: str) -> int:
    return _EXPONENT.get(currency.upper(), 2)


def money(minor: int, currency: str = "CNY", *, symbol: bool = False) -> str:
    """Minor units as the store writes them: 1234 → 12.34 (¥12.34 with `symbol`)."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    scale: int = 10**places
    whole, part = divmod(abs(minor), scale)
    text = f"{whole}.{part:0{places}d}" if places else str(whole)
    prefix = _SYMBOL.get(currency.upper(), currency.upper() + " ") if symbol else ""
    return f"{sign}{prefix}{text}"


def parse_money(text: str, currency: str = "CNY") -> int:
    """A typed amount (12, 12.5, 12.50) as minor units; ValueError when it is not one."""
    cleaned = text.strip().lstrip("¥$€£").replace(",", "")
    places = exponent(currency)
    whole, dot, part = cleaned.partition(".")
    if not whole.isdigit() and not (whole == "" and part.isdigit()):
        raise ValueError(text)
    if dot and (not part.isdigit() or len(part) > places):
        raise ValueError(text)
    scale: int = 10**places
    minor = int(whole or "0") * scale + (int(part.ljust(places, "0")) if part else 0)
    if minor > 100_000_000:
        raise ValueError(text)
    return minor


def quantity_text(quantity: int, weighed: bool) -> str:
    """Pieces as a count, weighed goods (grams) as kilograms."""
    return f"{quantity / 1000:.3f}kg" if weighed else str(quantity)
