"""Device benchmarks: rendering a receipt to ESC/POS bytes (the scan-to-cart one needs the node)."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from datetime import datetime

from bench import Result, benchmark, median, percentile

SAMPLES = 500


def _hundred_line_receipt():  # type: ignore[no-untyped-def]
    from pos.receipt import (
        AppliedPromotion,
        Language,
        Receipt,
        ReceiptLine,
        StoreHeader,
        TaxLine,
        Tender,
        TenderKind,
    )

    lines = tuple(
        ReceiptLine(f"Item number {i}", f"商品 {i} 号 特价", unit_price=100 + i, amount=2 * (100 + i),
                    quantity=2, tax_class="A",
                    discounts=(AppliedPromotion("Buy 2 save 买二省", 10),) if i % 3 == 0 else ())
        for i in range(100)
    )
    subtotal = sum(line.amount for line in lines)
    discount = sum(line.discount for line in lines)
    total = subtotal - discount
    return Receipt(
        StoreHeader("Green Valley Market", "绿谷超市", "88 Nanjing Rd", "91310000MA1K4XYZ00"),
        "R-0001-000001", "1", "Li", datetime(2024, 5, 1, 12, 0), lines,
        (TaxLine("A", 1300, total - 1000, 1000, total),), subtotal, discount, total,
        (Tender(TenderKind.CASH, total + 30),), change=30, language=Language.ZH,
    )


@benchmark("receipt_render_p99_ms")
def receipt_render() -> Iterable[Result]:
    """A 100-line zh-CN receipt rendered to ESC/POS bytes for the 58 mm GB18030 printer.

    Like timeit, the garbage collector is paused while timing; the first render (imports,
    python-escpos capabilities, caches) is excluded as warm-up.
    """
    from devices.profiles import ProfileCatalog
    from devices.receipt_layout import render

    profile = ProfileCatalog.load().printer("generic-58mm-gb18030")
    receipt = _hundred_line_receipt()
    render(receipt, profile)
    samples: list[float] = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(SAMPLES):
            start = time.perf_counter()
            render(receipt, profile)
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    yield Result("receipt_render_p99_ms", percentile(samples, 99), "ms", "<= 5")
    yield Result("receipt_render_p50_ms", median(samples), "ms", "")
