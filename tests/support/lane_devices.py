"""A node whose lane 1 is bound to the device simulator (ptys and a TCP printer), for lane tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi.testclient import TestClient

from devices.simulator import Simulator
from edge import fastjson
from edge.api import create_app
from edge.bootstrap import Node, build_node
from edge.catalog import import_catalog
from edge.settings import load_settings
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.lane import Lane
from tests.support.store import item_row, write_catalog, write_config

COLA = gtin13_with_check_digit("690000000001")  # 3.00, VAT13
RICE = gtin13_with_check_digit("690000000002")  # 39.90, VAT9
BANANA_PLU = "10002"  # 6.98 / kg, VAT0
T = TypeVar("T")

FAST_QUEUE = """
[devices]
print_retry_first_s = 0.1
print_retry_max_s = 0.3
print_poll_s = 0.1
"""


def lane_toml(sim: Simulator, *, printer_model: str = "generic-80mm-gb18030", scanner_model: str = "honeywell-xenon-1950g",
              extra_printers: str = "", drawer: bool = True) -> str:
    """`[[lanes]]` binding lane 1 to the simulator's scanner, scale, display and printer."""
    return (
        "\n[[lanes]]\nid = 1\n"
        f'scanner = {{ model = "{scanner_model}", address = "{sim.scanner.path}" }}\n'
        f'scale = {{ model = "mettler-toledo-sics", address = "{sim.scale.path}" }}\n'
        f'display = {{ model = "generic-vfd-2x20-gb18030", address = "{sim.display.path}" }}\n'
        f'printers = [{{ id = "lane1", model = "{printer_model}", address = "{sim.printer.address}" }}{extra_printers}]\n'
        + ("drawer = { pin = 2 }\n" if drawer else "")
    )


def storenode(argv: list[str]) -> int:
    """`storenode ...` in-process, with `devices` registered even before edge.cli adds it."""
    import argparse

    from edge import cli, devices_cli

    build = cli.build_parser

    def with_devices() -> argparse.ArgumentParser:
        parser = build()
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "devices" not in action.choices:
            devices_cli.register(action)
        return parser

    cli.build_parser = with_devices  # type: ignore[assignment]
    try:
        return cli.main(argv)
    finally:
        cli.build_parser = build  # type: ignore[assignment]


def write_lane_store(directory: Path, sim: Simulator, *, language: str = "zh-CN", **lane: Any) -> Path:
    path = write_config(directory, extra=FAST_QUEUE + lane_toml(sim, **lane))
    text = path.read_text(encoding="utf-8").replace("[store]\n", f'[store]\nlanguage = "{language}"\n', 1)
    path.write_text(text, encoding="utf-8")
    return path


def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 20.0) -> T:
    """Poll until `check()` gives something truthy; AssertionError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class LaneRig:
    node: Node
    client: TestClient
    lane: Lane
    manager: Lane
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        return [data for k, data in list(self.events) if k == kind]

    def cart_skus(self) -> list[str]:
        sale = self.node.checkout.open_on_lane(1)  # read from the ledger: the persisted cart
        return [] if sale is None else [line.sku for line in sale.active_lines]

    def jobs(self) -> list[dict[str, Any]]:
        return self.node.print_queue.jobs(1)


def seed(node: Node, catalog_dir: Path, *, with_operators: bool = True) -> None:
    if with_operators:
        node.operators.add("100", "Manager", Role.MANAGER, "9753")
        node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    rows = [
        item_row("COLA", COLA, price="300", tax_class="VAT13", name_en="Cola 330ml", name_zh="可乐 330毫升"),
        item_row("RICE", RICE, price="3990", tax_class="VAT9", name_en="Jasmine Rice 5kg", name_zh="香米 5公斤"),
        item_row("BANANA", BANANA_PLU, unit="kg", price="698", tax_class="VAT0", name_en="Bananas", name_zh="香蕉"),
    ]
    import_catalog(node.ledger, write_catalog(catalog_dir / "catalog.csv", rows))


@contextmanager
def running_lane(config: Path, *, init: bool = True, open_shift: bool = True) -> Iterator[LaneRig]:
    """The node built from `config` with its devices started, a cashier and a manager logged in."""
    node = build_node(load_settings(config), init=init)
    rig_events: list[tuple[str, dict[str, Any]]] = []
    publish = node.events.publish

    def recording(lane: int | None, kind: str, data: dict[str, Any]) -> Any:
        rig_events.append((kind, fastjson.loads(fastjson.dumps(data))))  # as a client reads it
        return publish(lane, kind, data)

    node.events.publish = recording  # type: ignore[method-assign]
    node.events.watched = lambda lane: True  # type: ignore[method-assign]  # the rig watches every lane
    try:
        if init:
            seed(node, config.parent)
        node.start_devices()
        with TestClient(create_app(node)) as client:
            def login(operator: str, pin: str) -> Lane:
                token = client.post("/api/v1/auth/login", json={"operator_id": operator, "pin": pin, "lane": 1}).json()["token"]
                return Lane(client, {"authorization": f"Bearer {token}"})

            rig = LaneRig(node, client, login("101", "1357"), login("100", "9753"), rig_events)
            if open_shift:
                rig.lane.open_shift()
            yield rig
    finally:
        node.close()
