"""Time: UTC in storage (ISO 8601 text ending in Z), store-local only on screens and receipts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column
from sqlalchemy.engine import Dialect
from sqlalchemy.types import String, TypeDecorator


def utc_now() -> datetime:
    return datetime.now(UTC)


_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # e.g. 2026-11-24T02:15:11.611340Z: 27 characters, sortable


def to_utc_text(moment: datetime) -> str:
    """As _FORMAT (isoformat writes it: strftime parses its format on every call, and a sale
    writes a dozen times)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: storenode stores aware UTC times only")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"  # less its "+00:00"


def from_utc_text(text: str) -> datetime:
    """A time stored as _FORMAT (fromisoformat reads it 40x faster than strptime; anything
    else goes to strptime, which refuses it as before)."""
    if len(text) == 27 and text[-1] == "Z" and text[10] == "T":
        return datetime.fromisoformat(text)
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as sortable UTC text."""

    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else to_utc_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_utc_text(value)


def utc_column(nullable: bool = False) -> Column[datetime]:
    """A table column holding an aware UTC datetime."""
    return Column(UtcDateTime(), nullable=nullable)
