"""The lane event stream over real HTTP (uvicorn in a thread): cart changes reach a watching client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from edge.api import create_app
from edge.bootstrap import Node
from edge.catalog import import_catalog
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.lane import new_id
from tests.support.store import free_port, item_row, write_catalog

COLA = gtin13_with_check_digit("690000000001")


@pytest.fixture
def served(node: Node, tmp_path: Path) -> Iterator[str]:
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_watching_client_sees_scans_land_in_the_cart_and_device_health(served: str, node: Node) -> None:
    token = httpx.post(f"{served}/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 1}).json()["token"]
    headers = {"authorization": f"Bearer {token}"}
    node.events.publish(1, "device", {"printer": "ok", "scanner": "disconnected"})
    node.events.publish(2, "device", {"printer": "paper_out"})  # another lane: not ours
    httpx.post(f"{served}/api/v1/lanes/1/shift", headers=headers, json={"shift_id": new_id(), "float_amount": 0})
    sale_id = new_id()
    httpx.post(f"{served}/api/v1/sales", headers=headers, json={"sale_id": sale_id, "lane": 1})
    seen: list[tuple[str, dict[str, object]]] = []

    def watch() -> None:
        with httpx.stream("GET", f"{served}/api/v1/lanes/1/events", headers=headers, timeout=30) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            kind = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    seen.append((kind, json.loads(line.removeprefix("data: "))))
                    if kind == "sale":
                        return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    deadline = time.monotonic() + 20
    while not seen and time.monotonic() < deadline:  # the device status arrives first, on connect
        time.sleep(0.05)
    httpx.post(f"{served}/api/v1/sales/{sale_id}/items", headers=headers, json={"code": COLA})
    watcher.join(20)
    kinds = [kind for kind, _ in seen]
    assert kinds == ["device", "sale"]
    assert seen[0][1]["scanner"] == "disconnected"
    assert seen[1][1]["lines"][0]["sku"] == "COLA"  # type: ignore[index]


def test_the_event_stream_needs_a_token(served: str) -> None:
    assert httpx.get(f"{served}/api/v1/lanes/1/events").status_code == 401
