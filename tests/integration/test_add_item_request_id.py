"""A retried add-item (same client request id) adds nothing, also after a node restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge.api import create_app
from edge.bootstrap import Node, build_node
from edge.catalog import import_catalog
from edge.settings import load_settings
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.lane import Lane, new_id
from tests.support.store import item_row, write_catalog

COLA = gtin13_with_check_digit("690000000001")
UNKNOWN = gtin13_with_check_digit("690000000099")


@pytest.fixture
def lane(node: Node, client: TestClient, tmp_path: Path) -> Lane:
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
    lane = _lane(client)
    lane.open_shift()
    lane.open_sale()
    return lane


def _lane(client: TestClient, sale_id: str = "") -> Lane:
    token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 1}).json()["token"]
    lane = Lane(client, {"authorization": f"Bearer {token}"})
    lane.sale_id = sale_id
    return lane


def test_a_repeated_add_returns_the_cart_and_adds_nothing_even_after_a_restart(
    lane: Lane, node: Node, store_config: Path
) -> None:
    first_id, second_id = new_id(), new_id()
    first = lane.add(code=COLA, quantity=2, request_id=first_id)
    again = lane.add(code=COLA, quantity=2, request_id=first_id)
    assert len(again["lines"]) == 1 and again["version"] == first["version"] and again["totals"]["total"] == 600
    lane.add(code=COLA, request_id=second_id)
    lane.add(code=COLA)  # no id: a plain add, as before
    node.close()

    restarted = build_node(load_settings(store_config))
    try:
        with TestClient(create_app(restarted)) as client2:
            lane2 = _lane(client2, lane.sale_id)
            replay = lane2.add(code=COLA, quantity=2, request_id=first_id)
            assert [line["quantity"] for line in replay["lines"]] == [2, 1, 1]
            lane2.add(code=COLA, request_id=second_id)
            assert len(lane2.call("GET", f"/sales/{lane.sale_id}")["lines"]) == 3
    finally:
        restarted.close()


def test_a_refused_add_does_not_use_up_its_id_and_an_id_is_not_reused_elsewhere(lane: Lane) -> None:
    request_id = new_id()
    assert UNKNOWN in lane.add(code=UNKNOWN, request_id=request_id, expect=404)["message"]
    assert len(lane.add(code=COLA, request_id=request_id)["lines"]) == 1  # the refused add wrote nothing
    first_sale = lane.sale_id
    lane.call("POST", f"/sales/{first_sale}/suspend")
    lane.open_sale()
    reused = lane.add(code=COLA, request_id=request_id, expect=409)
    assert f"request id {request_id} was already used for sale.add_item of {first_sale}" in reused["message"]
    assert lane.add(code=COLA, request_id="not-a-uuid", expect=422)["fields"][0]["field"] == "body.request_id"




def _add_item_ids(node: Node) -> list[str]:
    with node.ledger.reader.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT ref FROM request WHERE kind = 'sale.add_item' ORDER BY ref")]


def test_a_scan_resent_after_its_sale_closed_never_lands_in_the_next_sale(lane: Lane) -> None:
    """The terminal resends an unanswered scan to the lane's current sale: the id stays claimed."""
    request_id = new_id()
    lane.add(code=COLA, quantity=2, request_id=request_id)
    lane.pay("cash", 600)
    lane.complete()
    lane.open_sale()
    resent = lane.add(code=COLA, quantity=2, request_id=request_id, expect=409)
    assert "already used for sale.add_item" in resent["message"]
    assert lane.call("GET", f"/sales/{lane.sale_id}")["lines"] == []


def test_add_item_ids_older_than_a_day_go_when_a_shift_closes(lane: Lane, node: Node) -> None:
    old_sale = lane.sale_id
    lane.add(code=COLA, request_id=new_id())
    lane.call("POST", f"/sales/{old_sale}/cancel")
    lane.open_sale()
    lane.add(code=COLA, request_id=new_id())
    lane.call("POST", f"/sales/{lane.sale_id}/cancel")
    with node.ledger.writer.begin() as conn:  # the first sale's scan was yesterday
        conn.exec_driver_sql("UPDATE request SET created_at = '2020-01-01T00:00:00.000000Z' WHERE ref = ?", (old_sale,))
    lane.call("POST", "/lanes/1/shift/close", counted_cash=20000)
    assert _add_item_ids(node) == [lane.sale_id]  # a day's ids stay; the old one went
