"""Routes for the lane's hot paths: their plain dict/list results are rendered with orjson.

FastAPI serialises a `dict[str, Any]` result through pydantic's generic `Any` walker, which
cost an eighth of an add-item on a 100-line cart; orjson renders the same JSON (dataclasses,
enums and datetimes included, UTC as `Z`) several times faster. Only routes whose response
model is a plain dict or list are rendered so: a pydantic model filters fields out of what a
route returns, so those keep FastAPI's path, as do 204s (no body). A route rendered here
returns its own Response to set headers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, get_origin

from fastapi import Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.routing import APIRoute

from edge import fastjson


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return fastjson.dumps(content)


def _rendered(result: Any, status_code: int) -> Any:
    if isinstance(result, dict | list | fastjson.Rendered) or result is None:
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


def _plain_json(model: Any) -> bool:
    """Whether a route's response model is only a plain dict or list (it filters nothing)."""
    return model is None or model in (dict, list) or get_origin(model) in (dict, list)


class JSONRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        model = kwargs.get("response_model")
        if model is None or isinstance(model, DefaultPlaceholder):
            model = get_typed_return_annotation(endpoint)  # what FastAPI would infer from it
        status_code = kwargs.get("status_code") or 200
        if model is fastjson.Rendered:  # JSON rendered already: nothing for a response model to check
            kwargs["response_model"] = None
        if (_plain_json(model) or model is fastjson.Rendered) and status_code != 204:
            endpoint = _fast_json(endpoint, status_code)
        super().__init__(path, endpoint, **kwargs)
