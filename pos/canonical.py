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


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces; floats refused."""
    _check(value, "")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
