"""Typed, validated reads of one YAML mapping; every failure names the file and the dotted key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devices.errors import ProfileError


class Section:
    """Typed reads of one YAML mapping; every failure names file and dotted key."""

    def __init__(self, file: str, data: Any, prefix: str = "") -> None:
        if not isinstance(data, Mapping):
            raise ProfileError(file, prefix or "(top)", "must be a mapping of keys to values")
        self.file, self.data, self.prefix = file, data, prefix
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, reason: str) -> ProfileError:
        return ProfileError(self.file, self.key(name), reason)

    def get(self, name: str, kind: type, default: Any = ..., choices: tuple[Any, ...] = ()) -> Any:
        self.used.add(name)
        if name not in self.data or self.data[name] is None:
            if default is ...:
                raise self.fail(name, "is required")
            return default
        value = self.data[name]
        if kind is float and type(value) is int:
            value = float(value)
        if type(value) is not kind:
            raise self.fail(name, f"must be {kind.__name__}, got {type(value).__name__} {value!r}")
        if choices and value not in choices:
            raise self.fail(name, f"{value!r} is not one of {', '.join(map(str, choices))}")
        return value

    def number(self, name: str, default: Any, low: float, high: float, kind: type = int) -> Any:
        value = self.get(name, kind, default)
        if value is not None and not low <= value <= high:
            raise self.fail(name, f"{value} is outside {low}..{high}")
        return value

    def section(self, name: str) -> Section:
        self.used.add(name)
        return Section(self.file, self.data.get(name) or {}, self.key(name))

    def done(self) -> None:
        extra = sorted(str(k) for k in self.data if k not in self.used)
        if extra:
            raise self.fail(extra[0], f"unknown key (known: {', '.join(sorted(self.used))})")
