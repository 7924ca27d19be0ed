"""The HTTP API on a real ledger: authentication, roles, lockout, validation errors, probes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from edge.bootstrap import Node
from edge.catalog import import_catalog
from edge.clock import utc_now
from edge.tables import AuthToken
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.store import item_row, write_catalog

CODE = gtin13_with_check_digit("690000000001")


@pytest.fixture
def staff(node: Node) -> Node:
    node.operators.add("100", "Manager", Role.MANAGER, "9753")
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    return node


def login(client: TestClient, operator_id: str, pin: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"operator_id": operator_id, "pin": pin, "lane": 1})
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['token']}"}


def test_healthz_reports_a_writable_ledger_and_the_last_seq(client: TestClient, node: Node) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["ledger_writable"] is True
    assert body["last_seq"] == node.ledger.last_seq() and body["uptime_s"] >= 0


def test_every_api_route_but_login_demands_a_token(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    routes = [(method.upper(), path) for path, ops in paths.items() if path.startswith("/api/v1") for method in ops]
    assert len(routes) >= 10
    for method, template in routes:
        if template == "/api/v1/auth/login":
            continue
        path = template.replace("{", "").replace("}", "")
        response = client.request(method, path, json={})
        assert response.status_code == 401, f"{method} {template} answered {response.status_code}"
        assert response.headers["www-authenticate"] == "Bearer"


def test_login_gives_a_token_that_works_and_logout_ends_it(client: TestClient, staff: Node) -> None:
    headers = login(client, "101", "1357")
    assert client.get("/api/v1/auth/me", headers=headers).json() == {"id": "101", "name": "Cashier", "role": "cashier"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_wrong_and_expired_tokens_get_401(client: TestClient, staff: Node) -> None:
    assert client.get("/api/v1/auth/me", headers={"authorization": "Bearer nonsense"}).status_code == 401
    headers = login(client, "101", "1357")
    with staff.ledger.writer.begin() as conn:
        conn.exec_driver_sql("UPDATE auth_token SET expires_at = ?", (AuthToken.__table__.c.expires_at.type.process_bind_param(utc_now() - timedelta(minutes=1), None),))  # type: ignore[attr-defined]
    staff.operators._cache.clear()  # the node's 5 s token cache would otherwise still answer
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and "expired" in response.json()["message"]


def test_a_cashier_gets_403_on_manager_routes(client: TestClient, staff: Node) -> None:
    response = client.get("/api/v1/operators", headers=login(client, "101", "1357"))
    assert response.status_code == 403 and "needs a manager" in response.json()["message"]
    assert client.get("/api/v1/operators", headers=login(client, "100", "9753")).status_code == 200


def test_five_wrong_pins_lock_the_operator_and_a_reset_unlocks(client: TestClient, staff: Node) -> None:
    messages = []
    for _ in range(5):
        response = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "0000"})
        assert response.status_code == 401
        messages.append(response.json()["message"])
    assert messages[0] == "wrong operator id or PIN" and "now locked for 15 minutes" in messages[4]
    locked = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357"})
    assert locked.status_code == 401 and "locked" in locked.json()["message"]
    manager = login(client, "100", "9753")
    assert client.post("/api/v1/operators/101/reset-pin", headers=manager, json={"pin": "8642"}).status_code == 200
    login(client, "101", "8642")
    with staff.ledger.reader.connect() as conn:
        kinds = [row[0] for row in conn.exec_driver_sql("SELECT kind FROM journal ORDER BY seq")]
    assert "operator.locked_out" in kinds and "operator.pin_reset" in kinds


def test_unknown_operator_and_wrong_pin_look_the_same(client: TestClient, staff: Node) -> None:
    unknown = client.post("/api/v1/auth/login", json={"operator_id": "999", "pin": "1357"})
    wrong = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "2468"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["message"] == wrong.json()["message"] == "wrong operator id or PIN"


def test_guessing_a_manager_pin_in_approvals_locks_the_manager(client: TestClient, staff: Node) -> None:
    import uuid

    cashier = login(client, "101", "1357")
    client.post("/api/v1/lanes/1/shift", headers=cashier, json={"shift_id": str(uuid.uuid4()), "float_amount": 0})
    sale_id = str(uuid.uuid4())
    client.post("/api/v1/sales", headers=cashier, json={"sale_id": sale_id, "lane": 1})
    for _ in range(5):
        refused = client.post(f"/api/v1/sales/{sale_id}/cancel", headers=cashier,
                              json={"approval": {"manager_id": "100", "pin": "0000"}})
        assert refused.status_code == 401
    right_pin = client.post(f"/api/v1/sales/{sale_id}/cancel", headers=cashier,
                            json={"approval": {"manager_id": "100", "pin": "9753"}})
    assert right_pin.status_code == 401 and "locked" in right_pin.json()["message"]
    assert client.post("/api/v1/auth/login", json={"operator_id": "100", "pin": "9753"}).status_code == 401


def test_validation_errors_are_422_naming_the_field(client: TestClient, staff: Node) -> None:
    response = client.post("/api/v1/auth/login", json={"operator_id": "101"})
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "body.pin"
    manager = login(client, "100", "9753")
    response = client.post("/api/v1/operators", headers=manager, json={"id": "103", "name": "New", "role": "cashier", "pin": "12a4"})
    assert response.status_code == 422 and "body.pin" in response.json()["message"]
    response = client.post("/api/v1/operators", headers=manager, json={"id": "103", "name": "New", "role": "boss", "pin": "1234"})
    assert response.status_code == 422 and "body.role" in response.json()["message"]


def test_catalog_lookup_404_names_the_code_and_422_names_a_bad_check_digit(client: TestClient, staff: Node, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_catalog(staff.ledger, write_catalog(tmp_path / "c.csv", [item_row("S1", CODE, name_zh="苹果汁")]))
    headers = login(client, "101", "1357")
    assert client.get(f"/api/v1/catalog/lookup/{CODE}", headers=headers).json()["sku"] == "S1"
    missing = gtin13_with_check_digit("690000000009")
    response = client.get(f"/api/v1/catalog/lookup/{missing}", headers=headers)
    assert response.status_code == 404 and missing in response.json()["message"]
    response = client.get("/api/v1/catalog/lookup/6900000000010", headers=headers)
    assert response.status_code == 422 and "check digit" in response.json()["message"]
    found = client.get("/api/v1/catalog/search", params={"q": "苹果"}, headers=headers).json()
    assert [item["sku"] for item in found] == ["S1"]


def test_metrics_and_openapi_are_served(client: TestClient, staff: Node) -> None:
    login(client, "101", "1357")
    text = client.get("/metrics").text
    assert "storenode_journal_last_seq" in text
    assert 'storenode_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"} 1.0' in text
    spec = client.get("/openapi.json").json()
    assert "/api/v1/auth/login" in spec["paths"] and "/api/v1/catalog/lookup/{code}" in spec["paths"]


def test_manager_can_read_and_verify_the_journal(client: TestClient, staff: Node) -> None:
    manager = login(client, "100", "9753")
    rows = client.get("/api/v1/ledger/journal", headers=manager, params={"after": 0}).json()
    assert [r["kind"] for r in rows][:2] == ["operator.added", "operator.added"]
    assert client.get("/api/v1/ledger/verify", headers=manager).json()["ok"] is True
