"""Vouchers and gift cards over the API: a manager issues and tops up, each a journal row; the
lane pays with them; a retried request changes nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge import journal
from edge.bootstrap import Node
from edge.catalog import import_catalog
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.lane import Lane, new_id
from tests.support.store import item_row, write_catalog

COLA = gtin13_with_check_digit("690000000001")


def _login(client: TestClient, operator_id: str, pin: str) -> Lane:
    token = client.post("/api/v1/auth/login", json={"operator_id": operator_id, "pin": pin, "lane": 1}).json()["token"]
    return Lane(client, {"authorization": f"Bearer {token}"})


@pytest.fixture
def manager(client: TestClient, node: Node, tmp_path: Path) -> Lane:
    node.operators.add("100", "Manager", Role.MANAGER, "9753")
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
    return _login(client, "100", "9753")


def _journal(node: Node, prefix: str) -> list[dict[str, object]]:
    with node.ledger.reader.connect() as conn:
        return [e.data for e in journal.rows_after(conn, 0, 1000) if e.kind.startswith(prefix)]


def test_issue_top_up_and_read_each_journaled_once_even_when_retried(manager: Lane, node: Node) -> None:
    issue_id = new_id()
    card = manager.call("POST", "/stored-value", 201, request_id=issue_id, code="GC-1001", kind="gift_card", balance=5000)
    assert (card["code"], card["kind"], card["balance"]) == ("GC-1001", "gift_card", 5000)
    again = manager.call("POST", "/stored-value", 201, request_id=issue_id, code="GC-1001", kind="gift_card", balance=5000)
    assert again["balance"] == 5000
    top_up_id = new_id()
    assert manager.call("POST", "/stored-value/GC-1001/top-up", request_id=top_up_id, amount=2500)["balance"] == 7500
    assert manager.call("POST", "/stored-value/GC-1001/top-up", request_id=top_up_id, amount=2500)["balance"] == 7500
    assert manager.call("GET", "/stored-value/GC-1001")["balance"] == 7500
    rows = _journal(node, "stored_value.")
    assert [(r["code"], r["amount"], r["balance"], r["manager_id"]) for r in rows] == [
        ("GC-1001", 5000, 5000, "100"), ("GC-1001", 2500, 7500, "100"),
    ]


def test_the_lane_pays_with_an_issued_voucher(manager: Lane, client: TestClient) -> None:
    manager.call("POST", "/stored-value", 201, request_id=new_id(), code="V-20", kind="voucher", balance=200)
    lane = _login(client, "101", "1357")
    lane.open_shift()
    lane.open_sale()
    lane.add(code=COLA)
    lane.pay("voucher", 200, code="V-20")
    lane.pay("cash", 100)
    lane.complete()
    assert manager.call("GET", "/stored-value/V-20")["balance"] == 0


def test_bad_requests_are_refused_by_name_and_change_nothing(manager: Lane, client: TestClient, node: Node) -> None:
    manager.call("POST", "/stored-value", 201, request_id=new_id(), code="V-1", kind="voucher", balance=1000)
    taken = manager.call("POST", "/stored-value", 409, request_id=new_id(), code="V-1", kind="gift_card", balance=10)
    assert taken["message"] == "a voucher or gift card with code V-1 already exists"
    assert "only gift cards can be topped up" in manager.call("POST", "/stored-value/V-1/top-up", 422, request_id=new_id(), amount=10)["message"]
    assert "no voucher or gift card with code 'NOPE'" in manager.call("GET", "/stored-value/NOPE", 404)["message"]
    assert "no voucher or gift card" in manager.call("POST", "/stored-value/NOPE/top-up", 404, request_id=new_id(), amount=10)["message"]
    assert "code 'bad code'" in manager.call("POST", "/stored-value", 422, request_id=new_id(), code="bad code", kind="voucher", balance=10)["message"]
    assert "cash is not a voucher or gift card" in manager.call("POST", "/stored-value", 422, request_id=new_id(), code="C1", kind="cash", balance=10)["message"]
    assert manager.call("POST", "/stored-value", 422, request_id=new_id(), code="Z", kind="voucher", balance=0)["fields"][0]["field"] == "body.balance"
    manager.call("POST", "/stored-value", 201, request_id=new_id(), code="GC-9", kind="gift_card", balance=99_000_000)
    over = manager.call("POST", "/stored-value/GC-9/top-up", 422, request_id=new_id(), amount=2_000_000)
    assert "above the maximum" in over["message"]
    cashier = _login(client, "101", "1357")
    for method, path, body in (
        ("POST", "/stored-value", {"request_id": new_id(), "code": "X1", "kind": "voucher", "balance": 10}),
        ("POST", "/stored-value/GC-9/top-up", {"request_id": new_id(), "amount": 10}),
        ("GET", "/stored-value/GC-9", {}),
    ):
        assert "needs a manager" in cashier.call(method, path, 403, **body)["message"]
    assert [r["code"] for r in _journal(node, "stored_value.")] == ["V-1", "GC-9"]
    assert manager.call("GET", "/stored-value/GC-9")["balance"] == 99_000_000
