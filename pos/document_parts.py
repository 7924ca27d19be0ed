"""What every printed document shares: its language, the store's header, and the checks that
refuse a document that does not add up (so a printer never shows wrong money)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pos.errors import InvalidInput


class Language(enum.StrEnum):
    EN = "en"
    ZH = "zh-CN"


@dataclass(frozen=True, slots=True)
class StoreHeader:
    name_en: str
    name_zh: str
    address: str = ""
    tax_id: str = ""
    phone: str = ""


def require_minor_units(value: int, what: str, *, minimum: int) -> None:
    """InvalidInput unless `value` is an int (minor units, grams, pieces) of at least `minimum`."""
    if type(value) is not int:
        raise InvalidInput(f"{what} must be an int (minor units), got {type(value).__name__}")
    if value < minimum:
        raise InvalidInput(f"{what} {value} must be at least {minimum}")


def require(condition: bool, message: str) -> None:
    """InvalidInput with `message` unless `condition` holds."""
    if not condition:
        raise InvalidInput(message)
