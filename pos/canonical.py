"""Canonical JSON: the one byte form that journal hashes and HQ signatures are computed over."""

from __future__ import annotations

import json
from typing import Any


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


_PLAIN = frozenset({str, int, bool, type(None)})


def _is_plain(value: Any) -> bool:
    """Whether `value` holds no float and no non-string key: one pass without paths (a sale's
    journal row has hundreds of values); `_check` walks again only to name what is wrong."""
    stack, budget = [value], 1_000_000  # a value that refers to itself: let `_check` say so
    while stack:
        budget -= 1
        if budget < 0:
            return False
        item = stack.pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if kind is dict:
            if any(type(key) is not str for key in item):
                return False
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif isinstance(item, float | dict | list | tuple):
            return False  # subclasses: let the careful walk decide and name them
    return True


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces; floats refused."""
    if not _is_plain(value):
        _check(value, "")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
