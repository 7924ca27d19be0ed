"""The lane's hottest routes, served straight from their endpoints.

A scan, a tender and a complete are most of what a lane asks, and on this hardware FastAPI's
routing (a walk over every route of every included router, twice) and dependency solving
cost 1 to 1.5 ms a request: more than completing a sale's own SQL. `FastLane` sits in front
of FastAPI's middleware and router (`edge.api.NodeApp`), recognises these routes by one
regular expression and calls the very same endpoint functions, with the same pydantic body
models, the same token check and lane check, rendered by
`edge.fastjson`, errors through the app's own exception handlers (an error none handles is
a plain 500, as Starlette's ServerErrorMiddleware answers it).

The commands that change a sale run one at a time, in the order they came: they write the
ledger, which has one writer at a time anyway. They run on the event loop's own thread,
those of one turn of the loop committed together, unless the ledger is busy elsewhere: then
on the lane's writer thread, which waits for it (edge.api.group_writer). A pool's threads
spent about 0.3 ms of CPU a request waking and taking turns at the write lock and the GIL;
a writer thread of its own still waited a third of a sale's time for the loop's share of the
GIL. A look at a cart goes to a pool of readers.

It only takes a request it can serve exactly as FastAPI would: a path whose parameters
match their constraints and a body its model accepts. Anything else (a malformed body, a
sale id that is too long, no bearer token) is handed to FastAPI untouched, body replayed,
so every error a client can provoke still comes from one place. The routes stay registered
with FastAPI too, for the OpenAPI document and for that fallback. (FastAPI's
`dependency_overrides` do not reach these routes: the tests use real nodes, not overrides.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import re
import time
import typing
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge import fastjson
from edge.api.deps import CurrentOperator, NodeDep
from edge.api.group_writer import GroupWriter
from edge.api.lane_access import SaleOperator, check_sale_lane
from edge.bootstrap import Node

_SEGMENT = {"sale_id": r"[^/]{1,64}", "line_id": r"[1-9][0-9]{0,8}"}
_CONVERT: dict[str, Callable[[str], Any]] = {"sale_id": str, "line_id": int}
# A look at a cart runs on a reader thread, as FastAPI runs it on anyio's: a plain executor's
# hop costs about half of anyio's (capacity limiter, cancel scope) here, ~50 µs a request. The
# commands run on the loop or on the writer's thread, committed in groups (edge.api.group_writer).
_WRITER = GroupWriter()
_READERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lane-reader")


def _never() -> bool:
    return False


class _Fallback(Exception):
    """This request is FastAPI's to serve (what it would answer is an error this path does not make)."""


@dataclass(frozen=True)
class _Route:
    method: str
    template: str  # as the router knows it, e.g. "/sales/{sale_id}/items"
    endpoint: Callable[..., Any]
    api_route: Any  # the FastAPI route: Observe names the metric after its path
    status_code: int
    params: tuple[tuple[str, str], ...]  # (parameter, what binds it)
    body: type[BaseModel] | None
    body_optional: bool
    pattern: re.Pattern[str]  # its path, its parameters as named groups
    shadow: re.Pattern[str] | None = None  # any other route of the app this method and path would also match


def _binding(hint: Any) -> str:
    if hint == SaleOperator:
        return "sale_operator"
    if hint == CurrentOperator:
        return "operator"
    if hint == NodeDep:
        return "node"
    if hint is Request:
        return "request"
    return "body"


def _model(hint: Any) -> tuple[type[BaseModel], bool]:
    """The body model of a parameter hint, and whether an empty body means None."""
    args = typing.get_args(hint)
    inner = args[0] if typing.get_origin(hint) is typing.Annotated else hint
    options = [arg for arg in typing.get_args(inner) if arg is not type(None)] or [inner]
    model = options[0]
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"fast lane: cannot bind a body of type {hint!r}")
    return model, len(options) < len(typing.get_args(inner))


def lane_route(router: Any, endpoint: Callable[..., Any], prefix: str) -> _Route:
    """How to serve one of `router`'s routes without FastAPI (its path parameters must be in _SEGMENT)."""
    api_route = next(route for route in router.routes if getattr(route, "name", None) == endpoint.__name__)
    hints = typing.get_type_hints(endpoint, include_extras=True)
    params, body, optional = [], None, False
    for name in inspect.signature(endpoint).parameters:
        if name in _SEGMENT:
            params.append((name, "path"))
            continue
        kind = _binding(hints[name])
        if kind == "body":
            body, optional = _model(hints[name])
        params.append((name, kind))
    (method,) = api_route.methods
    path = prefix + api_route.path
    return _Route(method, path, endpoint, api_route, api_route.status_code or 200, tuple(params), body, optional,
                  re.compile(_template_regex(path, _SEGMENT, named=True) + r"\Z"))


def _flatten(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every route of an app with its full path, through included routers."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            yield from _flatten(route.original_router.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "methods") and hasattr(route, "path"):
            yield prefix + route.path, route


def _shadowed(route: _Route, everything: list[tuple[str, Any]]) -> _Route:
    """`route` with a pattern of the app's other routes that could take one of its requests
    (a literal segment where it has a parameter, as GET /sales/suspended beside GET /sales/{sale_id}).
    Such a request is FastAPI's to route: the fast lane only serves a path no other route matches."""
    others = [_template_regex(path) for path, other in everything
              if other is not route.api_route and route.method in (other.methods or ())]
    return dataclasses.replace(route, shadow=re.compile("(?:" + "|".join(others) + r")\Z") if others else None)


def _template_regex(path: str, segments: dict[str, str] | None = None, named: bool = False) -> str:
    """A route template as a regular expression. Its parameters match `segments` (name: pattern),
    or, without, what Starlette matches ("{x:path}" spans slashes); as named groups if `named`."""
    def parameter(part: str) -> str:
        name = part[1:-1].split(":")[0]
        pattern = segments[name] if segments is not None else ".*" if part.endswith(":path}") else "[^/]+"
        return f"(?P<{name}>{pattern})" if named else f"(?:{pattern})"

    return "".join(parameter(part) if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}]+\})", path))


class FastLane:
    """Serve `routes` straight from their endpoints; everything else goes on to `app` (FastAPI's own way)."""

    def __init__(
        self, app: ASGIApp, node: Node, routes: list[_Route], handlers: dict[Any, Callable[..., Any]], everything: list[Any],
    ) -> None:
        self.app = app
        self.node = node
        self.handlers = handlers
        flat = list(_flatten(everything))
        self._routes = [_shadowed(route, flat) for route in routes]
        # One match picks the route: each alternative is "METHOD path", its group named by its index.
        self._pattern = re.compile("|".join(
            f"(?P<r{index}>{route.method} {_template_regex(route.template, _SEGMENT)})" for index, route in enumerate(self._routes)
        ) + r"\Z")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._pattern.match(f"{scope.get('method')} {scope.get('path')}") if scope["type"] == "http" else None
        if found is None or "\n" in scope["path"]:  # Starlette's `$` matches before a final newline; \Z here does not
            await self.app(scope, receive, send)
            return
        route = self._routes[int(str(found.lastgroup)[1:])]
        if route.shadow is not None and route.shadow.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        segments = route.pattern.match(scope["path"]).groupdict()  # type: ignore[union-attr]  # it matched above
        body = await _read_body(receive)
        try:
            call, checks_pin = self._prepare(route, scope, segments, body)
        except _Fallback:
            await self.app(scope, _replay(body, receive), send)
            return
        scope["route"] = route.api_route
        try:
            if route.method == "GET":
                status, content = await asyncio.get_running_loop().run_in_executor(_READERS, call)
            else:
                # A manager's PIN is checked with argon2's deliberate tens of milliseconds: on
                # the writer thread, never on the loop that serves every lane.
                ready = _never if checks_pin else self.node.checkout.repricer.ready
                status, content = await _WRITER.submit_here(self.node.ledger, call, ready)
        except Exception as err:
            response = await self._handled(err, scope)
            if response is None:  # as Starlette's ServerErrorMiddleware answers an error nothing handles
                await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
                raise
            await response(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]})
        await send({"type": "http.response.body", "body": content})

    def _prepare(
        self, route: _Route, scope: Scope, segments: dict[str, str], body: bytes,
    ) -> tuple[Callable[[], tuple[int, bytes]], bool]:
        """Parse and check what FastAPI would check before running the endpoint; _Fallback if it
        would refuse. The call, and whether it checks a manager's PIN (the body's `approval`)."""
        token = _bearer(scope)
        if route.body is None or (route.body_optional and not body):
            model = None
        elif not _json_content(scope):  # FastAPI takes a body as JSON only when it says it is
            raise _Fallback
        else:
            try:
                model = route.body.model_validate_json(body)
            except ValidationError:
                raise _Fallback from None
        path = {name: _CONVERT[name](segments[name]) for name, kind in route.params if kind == "path"}
        state = scope.setdefault("state", {})
        ledger = self.node.ledger
        patience_until = time.monotonic() + ledger.busy_timeout_s  # counted from now, not from its turn on the thread

        def call() -> tuple[int, bytes]:
            with ledger.deadline(patience_until):
                return route.status_code, fastjson.dumps(route.endpoint(**arguments()))

        def arguments() -> dict[str, Any]:
            operator, token_lane = self.node.operators.authenticate(token)
            state["operator_id"], state["lane"] = operator.id, token_lane
            kwargs: dict[str, Any] = {}
            for name, kind in route.params:
                if kind == "path":
                    kwargs[name] = path[name]
                elif kind == "body":
                    kwargs[name] = model
                elif kind == "node":
                    kwargs[name] = self.node
                elif kind == "request":
                    kwargs[name] = Request(scope)
                else:
                    if kind == "sale_operator":
                        check_sale_lane(self.node, Request(scope), operator, path["sale_id"])
                    kwargs[name] = operator
            return kwargs

        return call, getattr(model, "approval", None) is not None

    async def _handled(self, err: Exception, scope: Scope) -> Any:
        """The app's exception handler's answer to `err`; None when no handler answers it
        (there is none, or it hands the error back, as edge.api.errors' busy one can)."""
        handler = next((self.handlers[kind] for kind in type(err).__mro__ if kind in self.handlers), None)
        if handler is None:
            return None
        try:
            if inspect.iscoroutinefunction(handler):
                return await handler(Request(scope), err)
            return await run_in_threadpool(handler, Request(scope), err)  # as Starlette runs a plain function
        except Exception:
            return None


def _bearer(scope: Scope) -> str:
    """The bearer token, read as FastAPI's HTTPBearer reads it (the first header, the text
    after the first space, stripped); _Fallback when there is none."""
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token:
                return str(token)
            break
    raise _Fallback


def _json_content(scope: Scope) -> bool:
    """Whether the request's content type is JSON (application/json or application/...+json)."""
    for key, value in scope["headers"]:
        if key == b"content-type":
            maintype, _, subtype = value.decode("latin-1").split(";")[0].strip().lower().partition("/")
            return bool(maintype == "application" and (subtype == "json" or subtype.endswith("+json")))
    return False


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, then: Receive) -> Receive:
    """The body already read, once; after it, the connection's own messages (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive
