"""Routes for the lane's hot paths: their plain dict/list results are rendered with orjson.

FastAPI serialises a `dict[str, Any]` result through pydantic's generic `Any` walker, which
cost an eighth of an add-item on a 100-line cart; orjson renders the same JSON (dataclasses,
enums and datetimes included, UTC as `Z`) several times faster. Routes that declare a
`response_model` keep FastAPI's path: the model may filter fields out of what they return.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute

from edge import fastjson


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return fastjson.dumps(content)


def _rendered(result: Any, status_code: int) -> Any:
    if isinstance(result, dict | list) or result is None:
        return JSONBody(result, status_code=status_code)
    return result


def _fast_json(endpoint: Callable[..., Any], status_code: int) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def call_async(*args: Any, **kwargs: Any) -> Any:
            return _rendered(await endpoint(*args, **kwargs), status_code)

        return call_async

    @functools.wraps(endpoint)
    def call(*args: Any, **kwargs: Any) -> Any:
        return _rendered(endpoint(*args, **kwargs), status_code)

    return call


class JSONRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        model = kwargs.get("response_model")
        if model is None or isinstance(model, DefaultPlaceholder):
            endpoint = _fast_json(endpoint, kwargs.get("status_code") or 200)
        super().__init__(path, endpoint, **kwargs)
