"""`storenode demo`: create (or reuse) a demo store directory and serve it."""

from __future__ import annotations

import sys
from pathlib import Path

from edge.bootstrap import build_node
from edge.catalog import import_catalog
from edge.demo_catalog import write_demo_catalog
from edge.settings import load_settings
from pos.operators import Role

DEMO_OPERATORS = (
    ("100", "Wang Fang 王芳", Role.MANAGER, "9753"),
    ("101", "Li Lei 李雷", Role.CASHIER, "1357"),
    ("102", "Han Meimei 韩梅梅", Role.CASHIER, "2468"),
)

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


def create_demo_store(directory: Path) -> Path:
    """Make the demo store in `directory` unless it is there already; returns its config path."""
    config_path = directory / "store.toml"
    if config_path.exists():
        return config_path
    directory.mkdir(parents=True, exist_ok=True)
    config_path.write_text(DEMO_CONFIG, encoding="utf-8")
    settings = load_settings(config_path)
    node = build_node(settings, init=True)
    try:
        csv_path = directory / "catalog.csv"
        write_demo_catalog(csv_path)
        report = import_catalog(node.ledger, csv_path)
        if report.errors:
            raise RuntimeError(f"demo catalog has bad rows: {report.errors[:3]}")
        for operator_id, name, role, pin in DEMO_OPERATORS:
            node.operators.add(operator_id, name, role, pin)
    finally:
        node.close()
    return config_path


def run_demo(directory: Path, *, host: str, port: int) -> None:
    from edge.server import serve

    fresh = not (directory / "store.toml").exists()
    config_path = create_demo_store(directory)
    settings = load_settings(config_path)
    base = f"http://{host}:{port}"
    print(
        f"""
storenode demo store {'created' if fresh else 'reused'} in {directory.resolve()}
  API docs     {base}/docs        (OpenAPI: {base}/openapi.json)
  health       {base}/healthz     metrics: {base}/metrics
  operators    manager 100 / PIN 9753, cashiers 101 / PIN 1357 and 102 / PIN 2468
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
    serve(settings, host=host, port=port)
