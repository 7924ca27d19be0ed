"""SIGKILL the node while lanes complete sales: every sale is wholly there or wholly absent,
receipt numbers stay gap-free, a retried complete never charges twice, the chain verifies."""

from __future__ import annotations

import random
import sqlite3
import threading
import uuid
from pathlib import Path

import httpx

from edge import journal
from edge.bootstrap import build_node
from edge.catalog import import_catalog
from edge.ledger import Ledger
from edge.settings import load_settings
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.node_process import NodeProcess
from tests.support.store import item_row, write_catalog, write_config

COLA = gtin13_with_check_digit("690000000001")
KILLS = 6


def _prepare(tmp_path: Path) -> Path:
    config = write_config(tmp_path / "store")
    node = build_node(load_settings(config), init=True)
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
    node.close()
    return config


def _sell_until_killed(url: str, pending: list[tuple[str, str]], stop: threading.Event) -> None:
    """Sell one cola after another; remember (sale_id, request_id) of completes sent."""
    client = httpx.Client(base_url=url, timeout=5)
    try:
        token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 1}).json()["token"]
        client.headers["authorization"] = f"Bearer {token}"
        if client.get("/api/v1/lanes/1/shift").status_code == 409:
            client.post("/api/v1/lanes/1/shift", json={"shift_id": str(uuid.uuid4()), "float_amount": 0})
        current = client.get("/api/v1/lanes/1/sale").json()
        while not stop.is_set():
            sale_id = current["sale_id"] if current else str(uuid.uuid4())
            if not current:
                client.post("/api/v1/sales", json={"sale_id": sale_id, "lane": 1}).raise_for_status()
            if not current or not current["lines"]:  # a kill can leave an empty cart behind
                client.post(f"/api/v1/sales/{sale_id}/items", json={"code": COLA}).raise_for_status()
            current = None
            sale = client.get(f"/api/v1/sales/{sale_id}").json()
            if not sale["settlement"]["settled"]:
                client.post(f"/api/v1/sales/{sale_id}/tenders", json={
                    "tender_id": str(uuid.uuid4()), "kind": "cash", "amount": 500, "currency": "CNY"}).raise_for_status()
            request_id = str(uuid.uuid4())
            pending.append((sale_id, request_id))
            client.post(f"/api/v1/sales/{sale_id}/complete", json={"request_id": request_id}).raise_for_status()
    except httpx.HTTPError:
        return  # the node was killed under us: that is the point
    finally:
        client.close()


def _check_ledger(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        receipts = [r[0] for r in conn.execute("SELECT receipt_seq FROM sale ORDER BY receipt_seq")]
        assert receipts == list(range(1, len(receipts) + 1)), "receipt numbers have a gap"
        completed = conn.execute("SELECT COUNT(*) FROM journal WHERE kind = 'sale.completed'").fetchone()[0]
        assert completed == len(receipts), "a sale without its journal row, or the reverse"
        moved = conn.execute("SELECT COUNT(*) FROM stock_movement WHERE reason = 'sale'").fetchone()[0]
        assert moved == len(receipts), "a sale without its stock movement, or the reverse"
        on_hand = conn.execute("SELECT COALESCE(SUM(on_hand), 0) FROM stock_level").fetchone()[0]
        assert on_hand == -len(receipts)
        both = conn.execute("SELECT COUNT(*) FROM sale s JOIN open_sale o ON o.sale_id = s.sale_id").fetchone()[0]
        assert both == 0, "a sale is both completed and still an open cart"
    finally:
        conn.close()
    ledger = Ledger(db)
    try:
        with ledger.reader.connect() as rc:
            report = journal.verify(rc)
        assert report.ok, f"chain broken at {report.first_bad_seq}: {report.reason}"
    finally:
        ledger.dispose()
    return len(receipts)


def test_sigkill_during_complete_loses_nothing_and_charges_once(tmp_path: Path) -> None:
    config = _prepare(tmp_path)
    db = config.parent / "store.db"
    node = NodeProcess(config)
    rng = random.Random(7)
    sold = 0
    try:
        for _ in range(KILLS):
            node.start()
            pending: list[tuple[str, str]] = []
            stop = threading.Event()
            seller = threading.Thread(target=_sell_until_killed, args=(node.url, pending, stop))
            seller.start()
            threading.Event().wait(rng.uniform(0.8, 2.0))
            node.kill()
            stop.set()
            seller.join(30)
            count = _check_ledger(db)
            assert count >= sold
            sold = count
            # Retry the last complete with its request id: exactly once in effect.
            node.start()
            if pending:
                sale_id, request_id = pending[-1]
                client = httpx.Client(base_url=node.url, timeout=10)
                token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 1}).json()["token"]
                client.headers["authorization"] = f"Bearer {token}"
                first = client.post(f"/api/v1/sales/{sale_id}/complete", json={"request_id": request_id})
                again = client.post(f"/api/v1/sales/{sale_id}/complete", json={"request_id": request_id})
                client.close()
                assert first.status_code == 200, first.text
                assert again.json()["replayed"] is True and again.json()["receipt_no"] == first.json()["receipt_no"]
            node.stop()
            sold = _check_ledger(db)
    finally:
        node.stop()
    assert sold >= KILLS  # sales really happened between the kills
