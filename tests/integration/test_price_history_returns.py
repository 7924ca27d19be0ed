"""No-receipt returns under "lowest price in the last N days": the ledger keeps each item's price
history (a trigger on item price updates) and the refund looks back on it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge.bootstrap import Node
from edge.catalog import import_catalog
from edge.clock import to_utc_text, utc_now
from pos.operators import Role
from tests.support.lane import Lane, new_id
from tests.support.store import item_row, write_catalog

MANAGER = {"manager_id": "100", "pin": "9753"}


def _price(node: Node, tmp_path: Path, price: int) -> None:
    rows = [item_row("TEA", price=str(price)), item_row("MUG", price="2500")]
    import_catalog(node.ledger, write_catalog(tmp_path / f"c{price}.csv", rows))


def _history(node: Node) -> list[tuple[str, int, int]]:
    with node.ledger.reader.connect() as conn:
        return [(r[0], r[1], r[2]) for r in conn.exec_driver_sql("SELECT sku, old_price, price FROM price_history ORDER BY id")]


def _refund(lane: Lane, sku: str = "TEA") -> int:
    done = lane.call("POST", "/returns", 201, return_id=new_id(), lane=1, sku=sku, quantity=1, approval=MANAGER)
    return int(done["total"])


@pytest.fixture
def lane(client: TestClient, node: Node, tmp_path: Path) -> Lane:
    node.operators.add("100", "Manager", Role.MANAGER, "9753")
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    _price(node, tmp_path, 1000)
    token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 1}).json()["token"]
    lane = Lane(client, {"authorization": f"Bearer {token}"})
    lane.open_shift()
    return lane


def test_only_real_price_changes_are_recorded_and_the_lowest_recent_price_is_refunded(
    lane: Lane, node: Node, tmp_path: Path
) -> None:
    _price(node, tmp_path, 1000)  # re-imported unchanged: nothing recorded
    assert _history(node) == []
    assert _refund(lane) == 1000
    _price(node, tmp_path, 800)  # a sale price for a while ...
    _price(node, tmp_path, 1200)  # ... then dearer than before
    assert _history(node) == [("TEA", 1000, 800), ("TEA", 800, 1200)]
    assert _refund(lane) == 800
    assert _refund(lane, "MUG") == 2500  # never changed: its current price


def test_changes_older_than_the_window_count_only_as_the_price_then_in_effect(lane: Lane, node: Node, tmp_path: Path) -> None:
    _price(node, tmp_path, 800)
    _price(node, tmp_path, 1200)
    with node.ledger.unit_of_work() as uow:  # as if both changes were made 40 and 35 days ago
        for days, old in ((40, 1000), (35, 800)):
            at = to_utc_text(utc_now() - timedelta(days=days))
            uow.session.connection().exec_driver_sql("UPDATE price_history SET changed_at = ? WHERE old_price = ?", (at, old))
        uow.commit()
    assert _refund(lane) == 1200  # the 30-day window saw only 12.00
    _price(node, tmp_path, 900)  # a cut today: the old 12.00 was in effect earlier in the window
    assert _refund(lane) == 900
