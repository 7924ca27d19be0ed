"""Constrained field types of promotion definitions, each refusing with a plain message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field, Strict

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
COUPON_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$"


def _between(low: int, high: int | None) -> Callable[[int], int]:
    def check(value: int) -> int:
        if high is None and value < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return check


def _not_negative(value: int) -> int:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


Money = Annotated[
    int, Strict(), AfterValidator(_not_negative), Field(json_schema_extra={"minimum": 0})
]
PositiveMoney = Annotated[
    int, Strict(), AfterValidator(_positive), Field(json_schema_extra={"minimum": 1})
]
Percent = Annotated[
    int,
    Strict(),
    AfterValidator(_between(1, 99)),
    Field(json_schema_extra={"minimum": 1, "maximum": 99}),
]
RewardPercent = Annotated[
    int,
    Strict(),
    AfterValidator(_between(1, 100)),
    Field(json_schema_extra={"minimum": 1, "maximum": 100}),
]
Quantity = Annotated[
    int,
    Strict(),
    AfterValidator(_between(1, 100)),
    Field(json_schema_extra={"minimum": 1, "maximum": 100}),
]
GroupSize = Annotated[
    int,
    Strict(),
    AfterValidator(_between(2, 100)),
    Field(json_schema_extra={"minimum": 2, "maximum": 100}),
]
Limit = Annotated[int, Strict(), AfterValidator(_positive), Field(json_schema_extra={"minimum": 1})]
Priority = Annotated[
    int,
    Strict(),
    AfterValidator(_between(0, 1000)),
    Field(json_schema_extra={"minimum": 0, "maximum": 1000}),
]
Weekday = Annotated[
    int,
    Strict(),
    AfterValidator(_between(1, 7)),
    Field(json_schema_extra={"minimum": 1, "maximum": 7}),
]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Code = Annotated[str, Field(min_length=1, max_length=64)]
