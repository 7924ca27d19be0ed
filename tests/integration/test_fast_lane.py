"""The fast lane (edge.api.fastlane) answers every request exactly as FastAPI would.

Two nodes built alike take the same requests, one app with the fast lane and one without;
every answer (status, headers that matter, body) must be the same, for the happy paths
and for each kind of refusal: a body the model refuses, a path parameter out of bounds,
no token or a bad one, another lane's sale, an unknown code, a path another route owns."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edge.api import create_app
from edge.bootstrap import build_node
from edge.catalog import import_catalog
from edge.settings import load_settings
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.store import behind_a_foreign_write_lock, item_row, write_catalog, write_config

COLA = gtin13_with_check_digit("690000000001")
CHIPS = gtin13_with_check_digit("690000000002")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _ids(n: int) -> str:
    return str(uuid.UUID(int=n))


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[Callable[[bool], TestClient]]:
    """Build a store node and its app, with or without the fast lane; each node alike."""
    with ExitStack() as stack:
        def app(fast_lane: bool) -> TestClient:
            directory = tmp_path / ("fast" if fast_lane else "plain")
            node = build_node(load_settings(write_config(directory / "store")), init=True)
            stack.callback(node.close)
            node.operators.add("100", "Manager", Role.MANAGER, "9753")
            node.operators.add("101", "Cashier 101", Role.CASHIER, "1357")
            node.operators.add("102", "Cashier 102", Role.CASHIER, "2468")
            rows = [item_row("COLA", COLA, price="300"), item_row("CHIPS", CHIPS, price="550")]
            import_catalog(node.ledger, write_catalog(directory / "c.csv", rows))
            return stack.enter_context(TestClient(create_app(node, fast_lane=fast_lane)))

        yield app


def _normalised(value: Any) -> Any:
    """Timestamps differ between two nodes; everything else must not."""
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    if isinstance(value, str) and _TIME.match(value):
        return "<time>"
    return value


def _script(client: TestClient) -> list[tuple[str, int, str | None, Any]]:
    """A shift's worth of lane requests, good and bad; what each was answered."""
    def token(operator_id: str, pin: str, lane: int | None) -> dict[str, str]:
        answer = client.post("/api/v1/auth/login", json={"operator_id": operator_id, "pin": pin, "lane": lane})
        return {"authorization": f"Bearer {answer.json()['token']}"}

    cashier, other_lane, manager = token("101", "1357", 1), token("102", "2468", 2), token("100", "9753", None)
    sale = f"/api/v1/sales/{_ids(1)}"
    steps: list[tuple[str, str, dict[str, str], Any]] = [
        ("POST", "/api/v1/lanes/1/shift", cashier, {"shift_id": _ids(2), "float_amount": 10000}),
        ("POST", "/api/v1/lanes/2/shift", other_lane, {"shift_id": _ids(3), "float_amount": 10000}),
        ("POST", "/api/v1/sales", cashier, {"sale_id": _ids(1), "lane": 1}),
        ("POST", f"{sale}/items", cashier, {"code": COLA}),
        ("POST", f"{sale}/items", cashier, {"sku": "CHIPS", "quantity": 2, "request_id": _ids(4)}),
        ("POST", f"{sale}/items", cashier, {"sku": "CHIPS", "quantity": 2, "request_id": _ids(4)}),  # a retry
        ("POST", f"{sale}/items", cashier, {"code": "6900000000999"}),  # bad check digit
        ("POST", f"{sale}/items", cashier, {"code": gtin13_with_check_digit("690000000999")}),  # unknown
        ("POST", f"{sale}/items", cashier, {"code": COLA, "sku": "COLA"}),  # both
        ("POST", f"{sale}/items", cashier, {"code": COLA, "quantity": 0}),
        ("POST", f"{sale}/items", cashier, b"{not json"),
        ("POST", f"{sale}/items", {**cashier, "content-type": "text/plain"}, {"code": COLA}),  # not said to be JSON
        ("POST", f"{sale}/items", {**cashier, "content-type": "application/vnd.lane+json; charset=utf-8"}, {"code": COLA}),
        ("POST", f"{sale}/items", {}, {"code": COLA}),  # no token
        ("POST", f"{sale}/items", {"authorization": "Bearer nonsense"}, {"code": COLA}),
        ("POST", f"{sale}/items", {"authorization": "Basic abc"}, {"code": COLA}),
        ("POST", f"{sale}/items", {"authorization": cashier["authorization"].replace(" ", "  ") + "\t"}, {"code": COLA}),
        ("POST", f"{sale}/items", {"authorization": "Bearer    "}, {"code": COLA}),
        ("POST", f"{sale}/items", other_lane, {"code": COLA}),  # another lane's sale
        ("POST", f"{sale}/items", manager, {"code": COLA}),  # a manager may
        ("POST", f"/api/v1/sales/{'x' * 65}/items", cashier, {"code": COLA}),
        ("POST", f"/api/v1/sales/{_ids(99)}/items", cashier, {"code": COLA}),  # no such sale
        ("GET", sale, cashier, None),
        ("GET", "/api/v1/sales/suspended", cashier, None),  # GET /sales/{sale_id} would match it too
        ("GET", "/api/v1/sales/suspended%0A", cashier, None),  # and so would it with a newline, to Starlette
        ("PATCH", f"{sale}/lines/1", cashier, {"quantity": 3}),
        ("PATCH", f"{sale}/lines/0", cashier, {"quantity": 3}),
        ("PATCH", f"{sale}/lines/1", cashier, {"quantity": 1, "approval": {"operator_id": "100", "pin": "0000"}}),
        ("PATCH", f"{sale}/lines/1", cashier, {"quantity": 1, "approval": {"operator_id": "100", "pin": "9753"}}),
        ("POST", f"{sale}/lines/2/void", cashier, None),  # a void needs a manager
        ("POST", f"{sale}/lines/2/void", cashier, {"approval": {"operator_id": "100", "pin": "9753"}}),
        ("POST", f"{sale}/lines/2/void", cashier, {"approval": "yes"}),
        ("POST", f"{sale}/complete", cashier, {"request_id": _ids(5)}),  # not paid
        ("POST", f"{sale}/tenders", cashier, {"tender_id": _ids(6), "kind": "cash", "amount": 100, "currency": "USD"}),
        ("POST", f"{sale}/tenders", cashier, {"tender_id": _ids(6), "kind": "cheque", "amount": 100, "currency": "CNY"}),
        ("POST", f"{sale}/tenders", cashier, {"tender_id": _ids(7), "kind": "card", "amount": 99999, "currency": "CNY",
                                               "reference": "RRN 1"}),
        ("POST", f"{sale}/tenders", cashier, {"tender_id": _ids(8), "kind": "card", "amount": 200, "currency": "CNY",
                                               "reference": "RRN 1"}),
        ("POST", f"{sale}/tenders", cashier, {"tender_id": _ids(9), "kind": "cash", "amount": 5000, "currency": "CNY"}),
        ("POST", f"{sale}/complete", other_lane, {"request_id": _ids(10)}),
        ("POST", f"{sale}/complete", cashier, {"request_id": "not-a-uuid"}),
        ("POST", f"{sale}/complete", cashier, {"request_id": _ids(10)}),
        ("POST", f"{sale}/complete", cashier, {"request_id": _ids(10)}),  # a retry: the same answer
        ("POST", f"{sale}/complete", cashier, {"request_id": _ids(11)}),  # a second complete
        ("POST", f"{sale}/items", cashier, {"code": COLA}),  # onto a completed sale
        ("GET", sale, cashier, None),
    ]
    answers = []
    for method, path, headers, body in steps:
        sent = {"content": body} if isinstance(body, bytes) else {"json": body}
        response = client.request(method, path, headers={"content-type": "application/json", **headers}, **sent)
        data = response.json() if response.content else None
        answers.append((f"{method} {path}", response.status_code, response.headers.get("www-authenticate"), _normalised(data)))
    return answers


def test_the_fast_lane_answers_as_fastapi_does(apps: Callable[[bool], TestClient]) -> None:
    fast, plain = _script(apps(True)), _script(apps(False))
    statuses = [status for _, status, _, _ in fast]
    # The script is worth comparing: it reaches success and every kind of refusal.
    assert {200, 201, 401, 403, 404, 409, 422} <= set(statuses), statuses
    for with_fast, without in zip(fast, plain, strict=True):
        assert with_fast == without


def test_a_fast_lane_request_is_counted_under_its_route(apps: Callable[[bool], TestClient]) -> None:
    client = apps(True)
    client.post(f"/api/v1/sales/{_ids(1)}/items", json={"code": COLA}, headers={"authorization": "Bearer nonsense"})
    assert 'route="/api/v1/sales/{sale_id}/items",status="401"' in client.get("/metrics").text


def _disk_error() -> Exception:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    return OperationalError("COMMIT", None, sqlite3.OperationalError("disk I/O error"))


def _scan_that_fails(apps: Callable[[bool], TestClient], fast_lane: bool, fault: Callable[[], Exception]) -> tuple[Any, str]:
    """A scan on a node whose checkout raises `fault`: its answer, then the node's metrics page."""
    app = apps(fast_lane).app
    node = app.state.node  # type: ignore[attr-defined]
    token = node.operators.login("101", "1357", 1).token
    node.shifts.open(_ids(2), 1, "101", 0)
    node.checkout.open_sale(_ids(1), 1, "101")

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise fault()

    node.checkout.add_item = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(f"/api/v1/sales/{_ids(1)}/items", json={"code": COLA}, headers={"authorization": f"Bearer {token}"})
        return response, client.get("/metrics").text


@pytest.mark.parametrize("fault", [lambda: RuntimeError("the disk went away"), _disk_error],
                         ids=["no handler", "a handler that hands it back"])
def test_a_fault_no_handler_answers_is_a_plain_500_counted_once(
    apps: Callable[[bool], TestClient], fault: Callable[[], Exception]
) -> None:
    answers = []
    for fast_lane in (True, False):
        response, metrics = _scan_that_fails(apps, fast_lane, fault)
        answers.append((response.status_code, response.headers["content-type"], response.text))
        counted = [line for line in metrics.splitlines() if line.startswith("storenode_http_requests_total{")
                   and 'status="500"' in line]
        assert counted == [counted[0]] and counted[0].endswith(" 1.0"), counted
    assert answers[0] == answers[1] == (500, "text/plain; charset=utf-8", "Internal Server Error")


def test_a_change_the_ledger_could_not_keep_is_a_503_to_retry(apps: Callable[[bool], TestClient]) -> None:
    from edge.errors import TransactionLost

    answers = []
    for fast_lane in (True, False):
        response, _metrics = _scan_that_fails(apps, fast_lane, TransactionLost)
        answers.append((response.status_code, response.headers.get("retry-after"), response.json()["error"]))
    assert answers[0] == answers[1] == (503, "1", "ledger_rolled_back")


def test_lane_writes_queued_behind_a_foreign_lock_each_give_up_after_one_busy_timeout(tmp_path: Path) -> None:
    """The lane's writes wait on one thread, in turn: each keeps the patience it had when it
    came (the ledger's busy timeout), not one more busy timeout per request ahead of it."""
    import time

    config = write_config(tmp_path / "store")
    config.write_text(config.read_text().replace('path = "store.db"\n', 'path = "store.db"\nbusy_timeout_ms = 300\n'))
    node = build_node(load_settings(config), init=True)
    try:
        node.operators.add("101", "Cashier 101", Role.CASHIER, "1357")
        import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
        token = node.operators.login("101", "1357", 1).token
        node.shifts.open(_ids(2), 1, "101", 0)
        node.checkout.open_sale(_ids(1), 1, "101")
        headers = {"authorization": f"Bearer {token}"}
        with TestClient(create_app(node)) as client:
            answers: list[tuple[int, float]] = []

            def scan() -> None:
                started = time.monotonic()
                response = client.post(f"/api/v1/sales/{_ids(1)}/items", json={"code": COLA}, headers=headers)
                answers.append((response.status_code, time.monotonic() - started))

            behind_a_foreign_write_lock(node.ledger.path, scan, at_once=6)
            assert [status for status, _ in answers] == [503] * 6
            assert max(waited for _, waited in answers) < 1.2  # one after another they would take 1.8 s
            done = client.post(f"/api/v1/sales/{_ids(1)}/items", json={"code": COLA}, headers=headers)
            assert done.status_code == 200 and len(done.json()["lines"]) == 1
    finally:
        node.close()


def test_a_scan_runs_on_the_event_loop_and_a_managers_pin_is_checked_on_the_writer_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loop runs the lane's commands itself, but never argon2's deliberate tens of
    milliseconds of a PIN check: a request carrying an approval goes to the writer thread."""
    import threading

    node = build_node(load_settings(write_config(tmp_path / "store")), init=True)
    try:
        node.operators.add("100", "Manager", Role.MANAGER, "9753")
        node.operators.add("101", "Cashier 101", Role.CASHIER, "1357")
        import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
        headers = {"authorization": f"Bearer {node.operators.login('101', '1357', 1).token}"}
        node.shifts.open(_ids(2), 1, "101", 0)
        node.checkout.open_sale(_ids(1), 1, "101")
        node.checkout.repricer.prepare()  # promotions loaded (else the first scan goes to the writer to load them)
        ran: list[tuple[str, str]] = []
        for name in ("add_item", "change_quantity"):
            def on_thread(*args: Any, _name: str = name, _real: Any = getattr(node.checkout, name), **kwargs: Any) -> Any:
                ran.append((_name, threading.current_thread().name))
                return _real(*args, **kwargs)
            monkeypatch.setattr(node.checkout, name, on_thread)
        with TestClient(create_app(node)) as client:
            assert client.post(f"/api/v1/sales/{_ids(1)}/items", json={"code": COLA}, headers=headers).status_code == 200
            approval = {"manager_id": "100", "pin": "9753"}
            changed = client.patch(f"/api/v1/sales/{_ids(1)}/lines/1", json={"quantity": 3, "approval": approval}, headers=headers)
            assert changed.status_code == 200, changed.text
            assert changed.json()["lines"][0]["quantity"] == 3
        (scan, scan_thread), (change, change_thread) = ran
        assert (scan, change) == ("add_item", "change_quantity")
        assert scan_thread != "lane-writer" and scan_thread == ran[0][1]
        assert change_thread == "lane-writer"
    finally:
        node.close()
