"""Canonical JSON: the one byte form that journal hashes and HQ signatures are computed over."""

from __future__ import annotations

import enum
import json
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

import orjson


class NotCanonical(ValueError):
    """A value that has no canonical JSON form here (floats: money and weights are ints)."""


def _check(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise NotCanonical(f"{path or 'value'} is a float ({value!r}); use int minor units")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"{path or 'value'} has a non-string key {key!r}")
            _check(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")


_LEAVES = frozenset({str, int, bool, type(None)})


def _is_plain(value: Any) -> bool:
    """Whether `value` is made only of dict, list, tuple, str, int, bool and None (no subclass):
    one pass without paths (a sale's journal row has hundreds of values). Anything else takes
    the careful way: `_check` names what is wrong, and `json` writes what it accepts. (Keys
    are left to the writer: orjson refuses a key that is not a str.)"""
    stack, budget = [value], 100_000  # containers; a value that refers to itself: let `_check` say so
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            items = item.values()
        elif kind is list or kind is tuple:
            items = item
        else:
            return kind in _LEAVES  # only the value itself can be a leaf here
        budget -= 1
        if budget < 0:
            return False
        for child in items:
            if type(child) not in _LEAVES:
                push(child)
    return True


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # per dataclass: its fields' names (`fields` is slow)


def plain(value: Any) -> Any:
    """Dataclasses, enums, datetimes and tuples as JSON's own types (dicts, values, ISO text,
    lists), field by field: `dataclasses.asdict` deep-copies, and this runs once a sale."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES.setdefault(kind, tuple(f.name for f in fields(value)))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [plain(item) for item in value]
    return value


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces; floats refused.

    Plain values are written by orjson, which gives the same bytes as `json.dumps` below (a
    test holds the two to it) several times faster; `json` takes the rest (str and int
    subclasses such as enums, and ints beyond 64 bits)."""
    if _is_plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a key that is not a str, an int beyond 64 bits, a string that is not UTF-8
    _check(value, "")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
