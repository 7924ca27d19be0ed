"""A cashier acts only on the lane they logged in at; a manager on any; a shift is closed by its
own cashier or a manager. Parking a sale on one lane and resuming it on another still works."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge.bootstrap import Node
from edge.catalog import import_catalog
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.lane import Lane, new_id
from tests.support.store import item_row, write_catalog

COLA = gtin13_with_check_digit("690000000001")
LogIn = Callable[[str, int | None], Lane]


@pytest.fixture
def login(client: TestClient, node: Node, tmp_path: Path) -> LogIn:
    node.operators.add("100", "Manager", Role.MANAGER, "9753")
    for operator_id, pin in (("101", "1357"), ("102", "2468"), ("103", "3579")):
        node.operators.add(operator_id, f"Cashier {operator_id}", Role.CASHIER, pin)
    import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
    pins = {"100": "9753", "101": "1357", "102": "2468", "103": "3579"}

    def log_in(operator_id: str, lane: int | None) -> Lane:
        answer = client.post("/api/v1/auth/login", json={"operator_id": operator_id, "pin": pins[operator_id], "lane": lane})
        return Lane(client, {"authorization": f"Bearer {answer.json()['token']}"}, lane=lane or 1)

    return log_in


def _a_cola_on_lane_1_with_lane_2_open(login: LogIn) -> tuple[Lane, Lane]:
    lane1, lane2 = login("101", 1), login("102", 2)
    lane1.open_shift()
    lane2.open_shift()
    lane1.open_sale()
    lane1.add(code=COLA)
    return lane1, lane2


def test_a_cashier_cannot_touch_another_lanes_sale_or_shift(login: LogIn) -> None:
    lane1, lane2 = _a_cola_on_lane_1_with_lane_2_open(login)
    path = f"/sales/{lane1.sale_id}"
    refused = lane2.call("POST", f"{path}/items", 403, code=COLA)
    assert refused["message"] == "operator 102 is logged in at lane 2: lane 1 is not theirs (log in at lane 1, or ask a manager)"
    for method, suffix, body in (
        ("POST", "/tenders", {"tender_id": new_id(), "kind": "cash", "amount": 300, "currency": "CNY"}),
        ("POST", "/suspend", {}), ("POST", "/cancel", {}), ("POST", "/member", {"member_id": "M1"}),
        ("POST", "/complete", {"request_id": new_id()}), ("PATCH", "/lines/1", {"quantity": 2}),
    ):
        assert "lane 1 is not theirs" in lane2.call(method, path + suffix, 403, **body)["message"]
    assert "lane 1" in lane2.call("POST", "/sales", 403, sale_id=new_id(), lane=1)["message"]
    for method, suffix, body in (
        ("GET", "", {}), ("POST", "/cash", {"kind": "drop", "amount": 100}), ("GET", "/x-report", {}),
        ("POST", "/close", {"counted_cash": 0}), ("POST", "", {"shift_id": new_id(), "float_amount": 0}),
    ):
        assert "lane 1 is not theirs" in lane2.call(method, f"/lanes/1/shift{suffix}", 403, **body)["message"]
    sale = lane2.call("GET", path)  # reading is not acting
    assert [line["quantity"] for line in sale["lines"]] == [1] and sale["tenders"] == []


def test_a_sale_no_longer_in_memory_is_checked_against_the_ledger(login: LogIn) -> None:
    """A completed sale has left the node's cart memory: its lane comes from the ledger."""
    lane1, lane2 = _a_cola_on_lane_1_with_lane_2_open(login)
    lane1.pay("cash", 300)
    lane1.complete()
    refused = lane2.call("POST", f"/sales/{lane1.sale_id}/complete", 403, request_id=new_id())
    assert "lane 1 is not theirs" in refused["message"]
    assert "already completed" in lane1.call("POST", f"/sales/{lane1.sale_id}/complete", 409, request_id=new_id())["message"]


def test_a_cashier_logged_in_at_no_lane_acts_on_none(login: LogIn) -> None:
    nowhere = login("103", None)
    refused = nowhere.call("POST", "/lanes/1/shift", 403, shift_id=new_id(), float_amount=0)
    assert refused["message"] == "operator 103 is not logged in at a lane: log in at lane 1 to act on it"
    assert nowhere.call("GET", f"/catalog/lookup/{COLA}")["sku"] == "COLA"


def test_a_manager_acts_on_any_lane(login: LogIn) -> None:
    lane1, manager = login("101", 1), login("100", None)
    lane1.open_shift()
    lane1.open_sale()
    lane1.add(code=COLA)
    manager.sale_id = lane1.sale_id
    manager.add(code=COLA)
    manager.pay("cash", 600)
    assert manager.complete()["sale"]["state"] == "completed"
    manager.call("POST", "/lanes/1/shift/cash", kind="drop", amount=100)


def test_park_on_one_lane_resume_on_another_then_it_belongs_there(login: LogIn) -> None:
    lane1, lane2 = _a_cola_on_lane_1_with_lane_2_open(login)
    lane1.call("POST", f"/sales/{lane1.sale_id}/suspend")
    assert "lane 1 is not theirs" in lane2.call("POST", f"/sales/{lane1.sale_id}/resume", 403, lane=1)["message"]
    resumed = lane2.call("POST", f"/sales/{lane1.sale_id}/resume", lane=2)
    assert resumed["lane"] == 2 and resumed["cashier_id"] == "102"
    assert "lane 2 is not theirs" in lane1.call("POST", f"/sales/{lane1.sale_id}/items", 403, code=COLA)["message"]
    lane2.sale_id = lane1.sale_id
    assert len(lane2.add(code=COLA)["lines"]) == 2


def test_only_the_shifts_cashier_or_a_manager_closes_it(login: LogIn) -> None:
    first, relief, manager = login("101", 1), login("102", 1), login("100", None)
    first.open_shift()
    relief.open_sale()
    relief.add(code=COLA)  # the relief cashier may sell on the lane
    relief.pay("cash", 300)
    relief.complete()
    refused = relief.call("POST", "/lanes/1/shift/close", 403, counted_cash=20300)
    assert refused["message"] == "the shift on lane 1 is cashier 101's: only they or a manager may close it"
    assert first.call("POST", "/lanes/1/shift/close", counted_cash=20300)["z_number"] == 1
    first.open_shift()
    assert manager.call("POST", "/lanes/1/shift/close", counted_cash=20000)["z_number"] == 2


def test_a_return_is_made_on_ones_own_lane(login: LogIn) -> None:
    lane1, lane2 = login("101", 1), login("102", 2)
    lane1.open_shift()
    lane1.open_sale()
    lane1.add(code=COLA)
    lane1.pay("cash", 300)
    receipt_no = lane1.complete()["receipt_no"]
    body = {"return_id": new_id(), "receipt": receipt_no, "lines": [{"line_id": 1, "quantity": 1}]}
    assert "lane 1 is not theirs" in lane2.call("POST", "/returns", 403, lane=1, **body)["message"]
    assert lane1.call("POST", "/returns", 201, lane=1, **body)["total"] == 300
