"""Unauthenticated probes: /healthz for container health checks, /metrics for Prometheus."""

from __future__ import annotations

import sqlite3
import time

from fastapi import APIRouter, Response

from edge.api.deps import NodeDep

router = APIRouter(tags=["health"])


def _ledger_writable(node: NodeDep) -> tuple[bool, str]:
    """Take the write lock for an instant: proves the file and its directory accept writes."""
    try:
        conn = sqlite3.connect(node.ledger.path, timeout=1.0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.Error as err:
        return False, str(err)
    return True, "ok"


@router.get("/healthz")
def healthz(node: NodeDep, response: Response) -> dict[str, object]:
    writable, detail = _ledger_writable(node)
    if not writable:
        response.status_code = 503
    return {
        "status": "ok" if writable else "degraded",
        "store_id": node.settings.store.id,
        "ledger_writable": writable,
        "ledger_detail": detail,
        "last_seq": node.ledger.last_seq(),
        "uptime_s": round(time.monotonic() - node.started, 3),
    }


@router.get("/metrics", response_class=Response)
def metrics(node: NodeDep) -> Response:
    return Response(node.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
