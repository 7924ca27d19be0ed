"""Run the node: build it, serve the HTTP app with uvicorn, close it on exit."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from edge.api import create_app
from edge.bootstrap import Node, build_node
from edge.collector import IdleCollector
from edge.logs import configure_logging
from edge.settings import Settings

log = logging.getLogger("storenode")


def serve(
    settings: Settings, *, init: bool = False, host: str | None = None, port: int | None = None,
    foreground: Callable[[str], None] | None = None, log_path: Path | None = None,
) -> None:
    """Serve until stopped. With `foreground`, the HTTP server runs in a thread and
    `foreground(base_url)` runs in this one (the demo's lane terminal); serving stops when it returns."""
    configure_logging(settings.log.format, settings.log.level, log_path)
    node = build_node(settings, init=init)
    collector = IdleCollector(when_quiet=(node.ledger.checkpoint,)).start()
    bind_host, bind_port = host or settings.api.host, port or settings.api.port
    log.info(
        "store %s serving on http://%s:%d (ledger %s, last seq %d)",
        settings.store.id, bind_host, bind_port, settings.ledger_path, node.ledger.last_seq(),
    )
    sync: Any = None
    stop = threading.Event()
    try:
        node.start_devices()
        if settings.sync is not None:
            from edge.sync_bridge import start_store_sync

            sync = start_store_sync(node, device_health=lambda: {"lanes": node.lanes.health()})
        threading.Thread(target=_report_sync, args=(node, sync, stop), name="sync-status", daemon=True).start()
        server = uvicorn.Server(
            uvicorn.Config(create_app(node), host=bind_host, port=bind_port, log_config=None, access_log=False)
        )
        if foreground is None:
            with _stopped_by_sigterm():
                server.run()
        else:
            thread = threading.Thread(target=server.run, name="http", daemon=True)
            thread.start()
            while not server.started and thread.is_alive():
                time.sleep(0.05)
            if server.started:
                foreground(f"http://{bind_host}:{bind_port}")
            server.should_exit = True
            thread.join(10)
    finally:
        stop.set()
        collector.stop()
        if sync is not None:
            sync.stop()
        node.close()
        log.info("store %s stopped", settings.store.id)


@contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM (`docker stop`, systemd) stops the node as Ctrl-C does: closed, not killed.
    uvicorn serves until the signal, then raises it again under the handler that was there
    before it, to exit as the signal would; Python's default for SIGTERM would end the
    process on the spot, before the devices, the sync link and the ledger are closed. The
    handler here lets it return instead (main thread only, where signals are handled)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _report_sync(node: Node, sync: Any, stop: threading.Event, every_s: float = 5.0) -> None:
    """Tell every lane how the link to HQ is: online/offline/off and the backlog."""
    while True:
        if sync is None:
            node.events.publish(None, "sync", {"state": "off"})
        else:
            try:
                status = sync.sync.status()
                state = "online" if sync.sync.link.connected.is_set() else "offline"
                node.events.publish(None, "sync", {
                    "state": state, "outbox_depth": status.outbox_depth, "acked_seq": status.acked_seq,
                    "last_seq": status.last_seq, "versions": status.versions,
                })
            except Exception as err:  # a status probe must never take the node down
                log.warning("sync status unavailable: %s", err)
        if stop.wait(every_s):
            return
