"""HQ's promotions priced into every cart change, named on the sale, prorated on returns."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge.bootstrap import Node
from edge.catalog import import_catalog
from edge.promotions import load_bundle_file
from pos.catalog import gtin13_with_check_digit
from pos.errors import Conflict, InvalidInput
from pos.operators import Role
from tests.support.lane import Lane, new_id
from tests.support.store import item_row, write_catalog

COLA = gtin13_with_check_digit("690000000001")
CHIPS = gtin13_with_check_digit("690000000002")
BUNDLE = {
    "version": 3,
    "promotions": [
        {"id": "cola-b2g1", "name_en": "Cola: buy 2 get 1 free", "name_zh": "可乐买二送一",
         "type": "buy_x_get_y", "items": {"skus": ["COLA"]}, "buy_quantity": 2},
        {"id": "spend-10", "name_en": "Spend 20 save 2", "name_zh": "满20减2", "type": "spend_threshold",
         "stacking": "stackable", "tiers": [{"min_spend": 2000, "amount_off": 200}]},
    ],
}


def _write(path: Path, bundle: dict[str, object]) -> Path:
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def lane(client: TestClient, node: Node, tmp_path: Path) -> Lane:
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [
        item_row("COLA", COLA, price="300"), item_row("CHIPS", CHIPS, price="750", category="snacks")]))
    load_bundle_file(node.ledger, _write(tmp_path / "bundle.json", BUNDLE))
    time.sleep(1.1)  # the node looks for a newer bundle at most once a second
    token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 1}).json()["token"]
    lane = Lane(client, {"authorization": f"Bearer {token}"})
    lane.open_shift()
    return lane


def test_buy_2_get_1_and_a_threshold_price_the_cart_and_name_themselves(lane: Lane, node: Node) -> None:
    lane.open_sale()
    sale = lane.add(code=COLA, quantity=3)
    assert sale["totals"]["discount"] == 300 and sale["totals"]["total"] == 600
    assert sale["discounts"]["1"]["promotions"][0]["name_zh"] == "可乐买二送一"
    sale = lane.add(code=CHIPS, quantity=2)  # 600 + 1500 = 2100 >= 2000: spend 20 save 2 as well
    assert sale["totals"]["total"] == 2100 - 200
    named = {p["promotion_id"] for d in sale["discounts"].values() for p in d["promotions"]}
    assert named == {"cola-b2g1", "spend-10"}
    sale = lane.call("POST", f"/sales/{lane.sale_id}/lines/2/void", 200)  # below the threshold again
    assert sale["totals"]["total"] == 600
    lane.pay("cash", 600)
    receipt_no = lane.complete()["receipt_no"]
    refund = lane.call("POST", "/returns", 201, return_id=new_id(), lane=1, receipt=receipt_no,
                       lines=[{"line_id": 1, "quantity": 1}])
    assert refund["total"] == 200  # a third of what the three colas really cost, not the shelf 3.00


def test_a_bad_or_older_bundle_is_refused_and_nothing_changes(node: Node, tmp_path: Path) -> None:
    load_bundle_file(node.ledger, _write(tmp_path / "b.json", BUNDLE))
    bad = json.loads(json.dumps(BUNDLE))
    bad["version"] = 4
    bad["promotions"][1]["tiers"][0]["amount_off"] = 5000
    with pytest.raises(InvalidInput, match="amount_off"):
        load_bundle_file(node.ledger, _write(tmp_path / "bad.json", bad))
    with pytest.raises(Conflict, match="not newer than the active version 3"):
        load_bundle_file(node.ledger, _write(tmp_path / "old.json", {**BUNDLE, "version": 2}))
    with node.ledger.reader.connect() as conn:
        assert conn.exec_driver_sql("SELECT MAX(version) FROM promotion_bundle").scalar() == 3


def test_promotions_load_cli_names_the_bad_field(node: Node, store_config: Path, tmp_path: Path) -> None:
    bad = {"version": 1, "promotions": [{"id": "x", "name_en": "x", "type": "percent_off",
                                          "items": {"skus": ["A"]}, "percent_off": 100}]}
    node.close()
    result = subprocess.run(
        [sys.executable, "-m", "edge.cli", "--config", str(store_config), "promotions", "load",
         str(_write(tmp_path / "bad.json", bad))], capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "percent_off" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_newer_bundle_is_never_loaded_by_a_command_found_ready(node: Node, tmp_path: Path) -> None:
    """`ready` looks for a newer bundle itself when the last look is due: a command it lets run
    on the event loop then finds nothing to load inside its own pricing."""
    repricer = node.checkout.repricer
    repricer.prepare()
    assert repricer.ready() and repricer.version == 0
    load_bundle_file(node.ledger, _write(tmp_path / "bundle.json", BUNDLE))
    time.sleep(1.1)  # the last look is due
    assert not repricer.ready()  # a bundle to load: the command goes to the writer thread
    assert repricer.version == 0  # and ready() did not load it
    repricer.prepare()  # as the writer thread does
    assert repricer.version == 3 and repricer.ready()
    time.sleep(1.1)
    assert repricer.ready()  # due again, nothing newer: ready, and that look counts as the last
    load_bundle_file(node.ledger, _write(tmp_path / "newer.json", {**BUNDLE, "version": 4}))
    assert repricer.ready()  # not due yet: no second look within the second
    time.sleep(1.1)
    assert not repricer.ready() and repricer.version == 3
