"""Run the node: build it, serve the HTTP app with uvicorn, close it on exit."""

from __future__ import annotations

import logging

import uvicorn

from edge.api import create_app
from edge.bootstrap import build_node
from edge.logs import configure_logging
from edge.settings import Settings

log = logging.getLogger("storenode")


def serve(settings: Settings, *, init: bool = False, host: str | None = None, port: int | None = None) -> None:
    configure_logging(settings.log.format, settings.log.level)
    node = build_node(settings, init=init)
    bind_host, bind_port = host or settings.api.host, port or settings.api.port
    log.info(
        "store %s serving on http://%s:%d (ledger %s, last seq %d)",
        settings.store.id, bind_host, bind_port, settings.ledger_path, node.ledger.last_seq(),
    )
    try:
        node.start_devices()
        uvicorn.Server(
            uvicorn.Config(create_app(node), host=bind_host, port=bind_port, log_config=None, access_log=False)
        ).run()
    finally:
        node.close()
