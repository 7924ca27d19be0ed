"""Scan to cart: a code written to the scanner's serial pty until its line is in the persisted cart.

The real node (ledger in WAL with synchronous=FULL, the lane's device manager, the serial
scanner driver) against the simulator's pty; each sale is scanned up to 100 lines, so the
later scans rewrite a 100-line cart. The clock stops when checkout's listener fires, which
is after the cart's transaction committed. Scans are 50 ms apart, so each one measures its own
latency rather than waiting behind the previous scan's event and display work.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from bench import Result, benchmark, median, percentile

CART_LINES = 100
CARTS = 3
PAUSE_S = 0.05  # between scans: a fast cashier scans about 3 items a second


@benchmark("scan_to_cart_p99_ms")
def scan_to_cart() -> Iterable[Result]:
    """p99 over 300 scans (3 carts of 100 distinct items); the first cart's first scan warms up."""
    from devices.simulator import Simulator
    from edge.bootstrap import build_node
    from edge.catalog import import_catalog
    from edge.settings import load_settings
    from pos.catalog import gtin13_with_check_digit
    from pos.sale import Sale
    from tests.support.store import item_row, write_catalog, write_config

    with tempfile.TemporaryDirectory() as tmp, Simulator(Path(tmp) / "sim") as sim:
        config = write_config(Path(tmp) / "store", extra=(
            f'[[lanes]]\nid = 1\nscanner = {{ model = "honeywell-xenon-1950g", address = "{sim.scanner.path}" }}\n'))
        node = build_node(load_settings(config), init=True)
        try:
            codes = [gtin13_with_check_digit(f"69{n:010d}") for n in range(1, CART_LINES + 1)]
            rows = [item_row(f"SKU{n:04d}", code, price=str(100 + n)) for n, code in enumerate(codes)]
            import_catalog(node.ledger, write_catalog(Path(tmp) / "catalog.csv", rows))
            node.shifts.open(str(uuid.uuid4()), 1, "101", 0)
            lines_now = [0]
            changed = threading.Condition()

            def saw(sale: Sale) -> None:
                with changed:
                    lines_now[0] = len(sale.active_lines)
                    changed.notify_all()

            node.checkout.listeners.insert(0, saw)  # the cart is committed before any listener runs
            node.start_devices()
            samples: list[float] = []
            for cart in range(CARTS):
                sale_id = str(uuid.uuid4())
                node.checkout.open_sale(sale_id, 1, "101")
                with changed:
                    lines_now[0] = 0
                for n, code in enumerate(codes, start=1):
                    time.sleep(PAUSE_S)  # latency of one scan, not a queue behind the previous one
                    start = time.perf_counter()
                    sim.scanner.scan(code)
                    with changed:
                        if not changed.wait_for(lambda n=n: lines_now[0] >= n, timeout=10):  # type: ignore[misc]
                            raise RuntimeError(f"scan {n} of cart {cart} never reached the cart")
                    samples.append((time.perf_counter() - start) * 1000)
                assert len(node.checkout.get(sale_id).active_lines) == CART_LINES
                node.checkout.cancel(sale_id, manager_id="100")
        finally:
            node.close()
    samples = samples[1:]
    yield Result("scan_to_cart_p99_ms", percentile(samples, 99), "ms", "<= 20")
    yield Result("scan_to_cart_p50_ms", median(samples), "ms", "")
