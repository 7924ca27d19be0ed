"""`storenode demo`: create (or reuse) a demo store directory and serve it."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from edge.bootstrap import build_node
from edge.catalog import import_catalog
from edge.demo_catalog import write_demo_catalog
from edge.devices_cli import ReceiptFolder, simulator_config
from edge.errors import NodeError
from edge.members import import_members
from edge.promotions import load_bundle_file
from edge.settings import Settings, load_settings
from pos.operators import Role

DEMO_OPERATORS = (
    ("100", "Wang Fang 王芳", Role.MANAGER, "9753"),
    ("101", "Li Lei 李雷", Role.CASHIER, "1357"),
    ("102", "Han Meimei 韩梅梅", Role.CASHIER, "2468"),
)

# Loyalty members (id, tier, name, active), imported as `storenode members import` would.
DEMO_MEMBERS = """id,tier,name,active
M1001,gold,Zhang Wei 张伟,true
M1002,silver,Liu Yang 刘洋,true
M1003,gold,Chen Jing 陈静,true
"""

DEMO_CONFIG = """\
# The demo store: storenode's example configuration (see firmware-config/store.example.toml).
[store]
id = "DEMO01"
tenant = "demo"
name_en = "storenode Demo Market"
name_zh = "storenode 示范超市"
address = "1 Demo Road, Shanghai"
currency = "CNY"
timezone = "Asia/Shanghai"
language = "zh-CN"

[ledger]
path = "store.db"
"""


DEVICES = "devices"  # the simulator's device links, under the demo store
RECEIPTS = "receipts"  # what the simulated printer printed, as text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DEMO_PROMOTIONS = Path(__file__).resolve().parents[1] / "firmware-config" / "demo-promotions.json"


def create_demo_store(directory: Path) -> Path:
    """Make the demo store in `directory` unless it is there already; returns its config path.

    Lane 1 is bound to simulated devices (`storenode devices simulate` hardware) that the demo
    starts: a scanner, scale and display on ptys in `devices/`, a network printer on a port
    chosen now and kept in the config.
    """
    config_path = directory / "store.toml"
    if config_path.exists():
        return config_path
    directory.mkdir(parents=True, exist_ok=True)
    lane = simulator_config((directory / DEVICES).resolve(), f"tcp://127.0.0.1:{_free_port()}")
    config_path.write_text(f"{DEMO_CONFIG}\n# Lane 1 is the simulator the demo starts.\n{lane}", encoding="utf-8")
    settings = load_settings(config_path)
    node = build_node(settings, init=True)
    try:
        csv_path = directory / "catalog.csv"
        write_demo_catalog(csv_path)
        report = import_catalog(node.ledger, csv_path)
        if report.errors:
            raise RuntimeError(f"demo catalog has bad rows: {report.errors[:3]}")
        load_bundle_file(node.ledger, DEMO_PROMOTIONS)
        members_path = directory / "members.csv"
        members_path.write_text(DEMO_MEMBERS, encoding="utf-8")
        import_members(node.ledger, members_path)
        for operator_id, name, role, pin in DEMO_OPERATORS:
            node.operators.add(operator_id, name, role, pin)
    finally:
        node.close()
    return config_path


def _simulated_printer_port(settings: Settings, directory: Path) -> int | None:
    """The port of lane 1's simulated printer, when lane 1 is bound to the demo's simulator."""
    device_dir = str((directory / DEVICES).resolve())
    for lane in settings.lanes:
        if lane.id == 1 and lane.scanner is not None and lane.scanner.address.startswith(device_dir) and lane.printers:
            return urlsplit(lane.printers[0].address).port
    return None


def run_demo(directory: Path, *, host: str, port: int) -> None:
    from devices.simulator import Simulator
    from edge.server import serve

    fresh = not (directory / "store.toml").exists()
    config_path = create_demo_store(directory)
    settings = load_settings(config_path)
    base = f"http://{host}:{port}"
    printer_port = _simulated_printer_port(settings, directory)
    sim = folder = None
    if printer_port is not None:
        try:
            sim = Simulator((directory / DEVICES).resolve(), printer_port=printer_port).start()
        except OSError as err:
            raise NodeError(f"the demo's simulated printer cannot listen on port {printer_port} ({err}): "
                            f"free it or change lane 1's printer address in {config_path}") from err
        folder = ReceiptFolder(sim.printer, (directory / RECEIPTS).resolve(), png=False).start()
    devices = (f"\n  lane 1       simulated scanner, scale, display in {sim.directory}, printer on {sim.printer.address}"
               f"\n  receipts     printed receipts are written as text to {folder.folder}") if sim and folder else ""
    print(
        f"""
storenode demo store {'created' if fresh else 'reused'} in {directory.resolve()}
  API docs     {base}/docs        (OpenAPI: {base}/openapi.json)
  health       {base}/healthz     metrics: {base}/metrics
  operators    manager 100 / PIN 9753, cashiers 101 / PIN 1357 and 102 / PIN 2468
  members      M1001 (gold), M1002 (silver), M1003 (gold); coupon SAVE5 (spend 30 save 5){devices}
Try next:
  curl -s -X POST {base}/api/v1/auth/login -H 'content-type: application/json' \\
       -d '{{"operator_id": "101", "pin": "1357"}}'
  curl -s {base}/api/v1/catalog/lookup/6900000000014 -H "authorization: Bearer TOKEN"
  .venv/bin/storenode --config {config_path} ledger verify
Stop with Ctrl+C; run the demo again to reuse this store.
""",
        file=sys.stderr,
        flush=True,
    )
    lane_app = None
    if sys.stdin.isatty() and sys.stdout.isatty():
        from tui.app import run_lane_app

        def lane_app(base_url: str) -> None:
            run_lane_app(base_url, 1, settings.store.language)

    try:
        serve(settings, host=host, port=port, foreground=lane_app,
              log_path=(directory / "node.log").resolve() if lane_app is not None else None)
    finally:
        if folder is not None:
            folder.stop()
        if sim is not None:
            sim.stop()
