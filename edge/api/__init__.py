"""The node's HTTP app: JSON API under /api/v1 (authenticated except login), /healthz, /metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response

from edge.api.errors import install_error_handlers
from edge.api.routes import auth, catalog, events, health, ledger, operators, returns, sales, shifts
from edge.api.routes import devices as lane_devices
from edge.bootstrap import Node

log = logging.getLogger("storenode.http")


def create_app(node: Node) -> FastAPI:
    app = FastAPI(
        title="storenode",
        version="1",
        description="The store node's API: lanes, catalog, ledger. Log in at /api/v1/auth/login.",
    )
    app.state.node = node
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1")
    for module in (auth, catalog, operators, ledger, sales, shifts, returns, events, lane_devices):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)

    @app.middleware("http")
    async def _observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        node.metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        node.metrics.latency.labels(template).observe(elapsed)
        log.info(
            "%s %s %s",
            request.method,
            template,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
                "operator": getattr(request.state, "operator_id", None),
            },
        )
        return response

    return app
