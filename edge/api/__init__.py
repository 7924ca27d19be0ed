"""The node's HTTP app: JSON API under /api/v1 (authenticated except login), /healthz, /metrics."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.api.errors import install_error_handlers
from edge.api.fastlane import FastLane, lane_route
from edge.api.routes import auth, catalog, events, health, ledger, operators, returns, sales, shifts
from edge.api.routes import devices as lane_devices
from edge.api.routes import pickup_slips as pickup_slip_routes
from edge.api.routes import stored_value as stored_value_routes
from edge.bootstrap import Node
from edge.collector import ACTIVITY

log = logging.getLogger("storenode.http")
API_PREFIX = "/api/v1"


class NodeApp(FastAPI):
    """FastAPI, with what every request passes first in front of its own middleware and
    router: `Observe`, then (unless it is off) the lane's `FastLane`. A request the fast lane
    serves never enters FastAPI's stack (six more layers of ASGI calls a request)."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if self.root_path:  # as FastAPI's own __call__ does
            scope["root_path"] = self.root_path
        if self.front is None:
            await super().__call__(scope, receive, send)
        else:
            await self.front(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own way: its middleware, its router."""
        await super().__call__(scope, receive, send)


def create_app(node: Node, *, fast_lane: bool = True) -> FastAPI:
    """The app; `fast_lane=False` leaves every route to FastAPI (the fast lane's tests compare the two)."""
    app = NodeApp(
        title="storenode",
        version="1",
        description="The store node's API: lanes, catalog, ledger. Log in at /api/v1/auth/login.",
        # No OpenTelemetry here (metrics are Prometheus, at /metrics): otherwise FastAPI asks the
        # environment and the tracer provider on every request whether to trace it.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.node = node
    install_error_handlers(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, catalog, operators, ledger, sales, shifts, returns, events, lane_devices, stored_value_routes,
                   pickup_slip_routes):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)

    inner: ASGIApp = _fast_lane(app, node) if fast_lane else app.serve
    app.front = Observe(inner, node=node)  # outside the fast lane: it counts and times those requests too
    return app


def _fast_lane(app: NodeApp, node: Node) -> FastLane:
    """A scan, a tender, a complete, a quantity, a void and a look at the cart: the lane's hot routes."""
    hot = (sales.add_item, sales.add_tender, sales.complete, sales.get_sale, sales.change_quantity, sales.void_line)
    return FastLane(app.serve, node=node, routes=[lane_route(sales.router, endpoint, API_PREFIX) for endpoint in hot],
                    handlers=app.exception_handlers, everything=app.router.routes)


class Observe:
    """Count, time and log each request (a plain ASGI middleware: Starlette's BaseHTTPMiddleware
    costs a task group and a body stream per request)."""

    def __init__(self, app: ASGIApp, node: Node) -> None:
        self.app = app
        self.node = node
        # (method, route, status) -> its counter and latency histogram: prometheus_client's
        # `labels()` checks and joins its arguments on every call (~30 µs a request here)
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        # A lane's event stream stays open: it is not a request in flight (the collector waits for none).
        counted = not scope["path"].endswith("/events")
        if counted:
            ACTIVITY.begin()

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            if counted:
                ACTIVITY.end()
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        template = getattr(scope.get("route"), "path", None) or "unmatched"
        if template != "unmatched" and scope["path"].startswith(API_PREFIX) and not template.startswith(API_PREFIX):
            template = API_PREFIX + template  # an included router's route keeps its own path
        method: str = scope["method"]
        series = self._series.get((method, template, status))
        if series is None:
            metrics = self.node.metrics
            series = self._series[(method, template, status)] = (
                metrics.requests.labels(method, template, str(status)), metrics.latency.labels(template))
        series[0].inc()
        series[1].observe(elapsed)
        if not log.isEnabledFor(logging.INFO):
            return
        state: dict[str, Any] = scope.get("state") or {}
        log.info(
            "%s %s %s", method, template, status,
            extra={
                "method": method, "path": scope["path"], "status": status,
                "duration_ms": round(elapsed * 1000, 2), "operator": state.get("operator_id"),
            },
        )
