"""Time: UTC in storage (ISO 8601 text ending in Z), store-local only on screens and receipts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column
from sqlalchemy.engine import Dialect
from sqlalchemy.types import String, TypeDecorator


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: storenode stores aware UTC times only")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_utc_text(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


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
