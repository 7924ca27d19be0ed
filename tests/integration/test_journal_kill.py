"""SIGKILL a process appending to the journal at random moments: the chain always verifies and
no row is half-written (every row present is whole, and seqs stay gap-free)."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

from edge import journal
from edge.ledger import Ledger

KILLS = 50


def _append_forever(path: str, ready: multiprocessing.synchronize.Event) -> None:
    ledger = Ledger(Path(path))
    n = 0
    while True:
        with ledger.unit_of_work() as uow:
            uow.journal("sale.completed", {"n": n, "lines": [{"sku": "A1", "qty": 2, "amount": 398}] * 5, "note": "收银台"})
            uow.commit()
        n += 1
        if n == 3:
            ready.set()


def test_sigkill_mid_append_never_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    Ledger.open(path, store_id="T001", init=True).dispose()
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(20261123)
    counts = []
    for _ in range(KILLS):
        ready = ctx.Event()
        child = ctx.Process(target=_append_forever, args=(str(path), ready))
        child.start()
        assert ready.wait(30), "appender did not start"
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL
        ledger = Ledger(path)
        try:
            with ledger.reader.connect() as conn:
                report = journal.verify(conn)
                assert report.ok, f"chain broken after a kill: seq {report.first_bad_seq}: {report.reason}"
                assert conn.exec_driver_sql("PRAGMA quick_check").scalar() == "ok"
                counts.append(report.rows)
        finally:
            ledger.dispose()
    assert counts == sorted(counts) and counts[-1] >= KILLS * 3  # rows only ever accumulate
