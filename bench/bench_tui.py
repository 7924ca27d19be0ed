"""Lane terminal: from a scan entered to the updated cart rendered, on a 100-line cart.

A real node process serves the demo store; the real app runs headless at 80x24, logged in
as a cashier. The cart is filled to 100 lines by scans, then each measured scan is typed into
the scan field and Enter pressed; the clock stops at the first screen update (the compositor's
output; headless, so the bytes are not written to a terminal) in which the cart has the new line
and has scrolled it into view — a frame drawn with the row added but still below the fold does
not count. The node's own round trip for the add is timed too, to tell the lane's share from the
node's.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import Result, benchmark, median, percentile

CART_LINES = 100
SAMPLES = 60
CODES = ["6900000000014", "6900000000021", "6900000000045", "6900000000069", "6900000000175"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_node(store: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "--config", str(store / "store.toml"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the node did not start")


async def _measure(url: str) -> tuple[list[float], list[float]]:
    from tui.app import LaneApp, lane_collector

    collector = lane_collector().start()  # as run_lane_app does
    try:
        return await _scans(LaneApp(url, 1, "zh-CN"))
    finally:
        collector.stop()


async def _scans(app: Any) -> tuple[list[float], list[float]]:
    from textual.widgets import Input

    from tui.screens.sale import SaleScreen
    from tui.widgets.cart import CartTable

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.session.login("101", "1357")
        if app.session.shift is None:
            await app.session.open_shift(20000)
        app.switch_screen(SaleScreen())
        while not (isinstance(app.screen, SaleScreen) and app.screen.query("#scan")):
            await pilot.pause(0.01)
        field = app.screen.query_one("#scan", Input)
        cart = app.screen.query_one(CartTable)
        # each screen update: when, how many cart rows it drew from, and which rows were in view
        displayed: list[tuple[float, int, range]] = []
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None:
                top = round(cart.scroll_offset.y)
                in_view = range(top, top + cart.scrollable_content_region.height - 1)  # under the header
                displayed.append((time.perf_counter(), cart.row_count, in_view))

        app._display = timed_display  # type: ignore[method-assign]
        node_ms: list[float] = []
        add_item = app.client.add_item

        async def timed_add(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await add_item(*args, **kwargs)
            finally:
                node_ms.append((time.perf_counter() - started) * 1000)

        app.client.add_item = timed_add  # type: ignore[method-assign]

        async def scan(code: str) -> float:
            before, rows_before = set(cart.row_keys), cart.row_count
            field.value = code  # the wedge has typed it; its Enter ends the scan
            started = time.perf_counter()
            seen = len(displayed)
            await field.action_submit()
            while cart.row_count == rows_before:  # cheap to ask: this loop shares the app's event loop
                await asyncio.sleep(0.0002)
            new_line = max(i for i, key in enumerate(cart.row_keys) if key.startswith("l") and key not in before)
            while True:
                shown = next((at for at, rows, in_view in displayed[seen:] if rows > new_line and new_line in in_view), None)
                if shown is not None:
                    return (shown - started) * 1000
                await asyncio.sleep(0.0002)

        for n in range(CART_LINES):
            await scan(CODES[n % len(CODES)])
        del node_ms[:]
        totals = [await scan(CODES[n % len(CODES)]) for n in range(SAMPLES)]
        return totals, node_ms


@benchmark("tui_scan_to_screen_p99_ms")
def scan_to_screen() -> list[Result]:
    from edge.demo import create_demo_store

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "demo"
        create_demo_store(store)
        port = _free_port()
        node = _start_node(store, port)
        try:
            samples, node_ms = asyncio.run(_measure(f"http://127.0.0.1:{port}"))
        finally:
            node.terminate()
            node.wait(timeout=30)
    return [
        Result("tui_scan_to_screen_p99_ms", percentile(samples, 99), "ms", "<= 50"),
        Result("tui_scan_to_screen_median_ms", median(samples), "ms", "info"),
        Result("tui_scan_node_add_p99_ms", percentile(node_ms, 99), "ms", "info: the node's share"),
        Result("tui_scan_lane_share_p99_ms", percentile([t - n for t, n in zip(samples, node_ms, strict=True)], 99), "ms", "info: the app's share"),
    ]
