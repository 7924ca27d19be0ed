"""JSON for the hot paths (carts saved on every scan, API and event bodies), through orjson.

orjson renders dataclasses, enums and datetimes (UTC as `Z`) itself, so the rules' immutable
objects go out as they are, without a dict built per line first.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


class Rendered:
    """JSON rendered already, written as it is wherever it appears in a value."""

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json

    def text(self) -> str:
        return self.json.decode("utf-8")


def _default(value: Any) -> Any:
    if isinstance(value, Rendered):
        return orjson.Fragment(value.json)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def _as_text(value: Any) -> Any:
    if isinstance(value, Rendered):
        return orjson.Fragment(value.json)
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else str(value)


def dumps(value: Any) -> bytes:
    if isinstance(value, Rendered):
        return value.json
    return orjson.dumps(value, default=_default, option=OPTIONS)


def dumps_text(value: Any, *, lenient: bool = False) -> str:
    """As text; `lenient` writes what JSON cannot hold as its str() (an event must not be lost
    to one odd value)."""
    return orjson.dumps(value, default=_as_text if lenient else _default, option=OPTIONS).decode("utf-8")


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def plain(value: Any) -> Any:
    """Dataclasses as the plain dicts and lists their JSON parses back to (several times faster
    than `dataclasses.asdict`, which deep-copies): tuples become lists, datetimes ISO text."""
    return orjson.loads(orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS))
