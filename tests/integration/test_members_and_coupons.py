"""Members and coupons at the lane: attached over the API, priced by the promotions, coupon
uses counted at completion and fed back into the next pricing."""

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
from edge.members import import_members
from edge.promotions import load_bundle_file
from pos.catalog import gtin13_with_check_digit
from pos.errors import InvalidInput
from pos.operators import Role
from tests.support.lane import Lane
from tests.support.store import item_row, write_catalog

TEA = gtin13_with_check_digit("690000000011")  # 40.00
BUNDLE = {
    "version": 1,
    "promotions": [
        {"id": "gold-10", "name_en": "Gold members 10% off", "name_zh": "金卡九折", "type": "percent_off",
         "items": {"all": True}, "percent_off": 10, "member_tiers": ["gold"]},
        {"id": "save5", "name_en": "Coupon SAVE5: spend 30 save 5", "name_zh": "满30减5券", "type": "spend_threshold",
         "stacking": "stackable", "tiers": [{"min_spend": 3000, "amount_off": 500}],
         "coupon": {"code": "SAVE5", "max_uses": 1}},
        {"id": "welcome", "name_en": "Welcome coupon: spend 30 save 3", "name_zh": "新客券", "type": "spend_threshold",
         "stacking": "stackable", "tiers": [{"min_spend": 3000, "amount_off": 300}],
         "coupon": {"code": "WELCOME", "max_uses_per_customer": 1}},
        {"id": "old", "name_en": "Expired coupon", "name_zh": "过期券", "type": "spend_threshold",
         "stacking": "stackable", "tiers": [{"min_spend": 1000, "amount_off": 100}], "coupon": {"code": "OLD1"},
         "windows": [{"start": "2020-01-01T00:00:00Z", "end": "2020-02-01T00:00:00Z"}]},
    ],
}
MEMBERS = "id,tier,name,active\nM1001,gold,Zhang San,true\nM2002,silver,Li Si,true\nM3003,gold,Gone,false\n"


@pytest.fixture
def lane(client: TestClient, node: Node, tmp_path: Path) -> Lane:
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("TEA", TEA, price="4000")]))
    (tmp_path / "bundle.json").write_text(json.dumps(BUNDLE), encoding="utf-8")
    load_bundle_file(node.ledger, tmp_path / "bundle.json")
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    import_members(node.ledger, tmp_path / "members.csv")
    time.sleep(1.1)  # the node looks for a newer bundle at most once a second
    token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 1}).json()["token"]
    lane = Lane(client, {"authorization": f"Bearer {token}"})
    lane.open_shift()
    return lane


def _coupon_uses(node: Node) -> list[tuple[str, str | None]]:
    with node.ledger.reader.connect() as conn:
        return [(r[0], r[1]) for r in conn.exec_driver_sql("SELECT code, customer_id FROM coupon_use ORDER BY id")]


def test_a_gold_member_gets_the_member_price_and_the_sale_shows_the_member(lane: Lane) -> None:
    lane.open_sale()
    lane.add(code=TEA)
    sale = lane.call("POST", f"/sales/{lane.sale_id}/member", member_id="M1001")
    assert sale["member"] == {"member_id": "M1001", "tier": "gold"}
    assert sale["totals"]["total"] == 3600
    silver = lane.call("POST", f"/sales/{lane.sale_id}/member", member_id="M2002")
    assert silver["member"]["tier"] == "silver" and silver["totals"]["total"] == 4000
    lane.call("POST", f"/sales/{lane.sale_id}/member", member_id="M1001")
    lane.call("POST", f"/sales/{lane.sale_id}/suspend")
    resumed = lane.call("POST", f"/sales/{lane.sale_id}/resume", lane=1)
    assert resumed["member"]["member_id"] == "M1001" and resumed["totals"]["total"] == 3600
    detached = lane.call("DELETE", f"/sales/{lane.sale_id}/member")
    assert detached["member"] is None and detached["totals"]["total"] == 4000


def test_unknown_or_inactive_members_and_unknown_coupons_are_refused_by_name(lane: Lane) -> None:
    lane.open_sale()
    before = lane.add(code=TEA)["version"]
    assert "no member M9999" in lane.call("POST", f"/sales/{lane.sale_id}/member", 404, member_id="M9999")["message"]
    assert "member M3003 is not active" in lane.call("POST", f"/sales/{lane.sale_id}/member", 409, member_id="M3003")["message"]
    assert "member id 'bad id'" in lane.call("POST", f"/sales/{lane.sale_id}/member", 422, member_id="bad id")["message"]
    unknown = lane.call("POST", f"/sales/{lane.sale_id}/coupons", 404, code="nope10")
    assert "coupon NOPE10: no active promotion" in unknown["message"]
    expired = lane.call("POST", f"/sales/{lane.sale_id}/coupons", 422, code="OLD1")
    assert "OLD1" in expired["message"] and "not valid" in expired["message"]
    assert "coupon SAVE5 is not on sale" in lane.call("DELETE", f"/sales/{lane.sale_id}/coupons/SAVE5", 404)["message"]
    sale = lane.call("GET", f"/sales/{lane.sale_id}")
    assert sale["member"] is None and sale["coupons"] == [] and sale["version"] == before


def test_a_single_use_coupon_is_counted_at_completion_and_refused_after(lane: Lane, node: Node) -> None:
    lane.open_sale()
    lane.add(code=TEA)
    sale = lane.call("POST", f"/sales/{lane.sale_id}/coupons", code=" save5 ")
    assert [c["code"] for c in sale["coupons"]] == ["SAVE5"] and sale["totals"]["total"] == 3500
    assert lane.call("POST", f"/sales/{lane.sale_id}/coupons", code="SAVE5")["coupons"] == sale["coupons"]
    lane.pay("cash", 3500)
    lane.complete()
    assert _coupon_uses(node) == [("SAVE5", None)]
    lane.open_sale()
    lane.add(code=TEA)
    used = lane.call("POST", f"/sales/{lane.sale_id}/coupons", 422, code="SAVE5")
    assert "Coupon SAVE5 has been used up" in used["message"]


def test_two_lanes_racing_for_one_single_use_coupon_complete_only_once(lane: Lane, client: TestClient, node: Node) -> None:
    token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 2}).json()["token"]
    lane2 = Lane(client, {"authorization": f"Bearer {token}"}, lane=2)
    lane2.open_shift()
    for each in (lane, lane2):
        each.open_sale()
        each.add(code=TEA)
        each.call("POST", f"/sales/{each.sale_id}/coupons", code="SAVE5")
        each.pay("cash", 3500)
    lane.complete()
    late = lane2.complete(expect=409)
    assert "coupon SAVE5 has been used up meanwhile" in late["message"]
    assert _coupon_uses(node) == [("SAVE5", None)]
    assert lane2.call("GET", f"/sales/{lane2.sale_id}")["state"] == "open"
    without = lane2.call("DELETE", f"/sales/{lane2.sale_id}/coupons/save5")
    assert without["coupons"] == [] and without["totals"]["total"] == 4000
    lane2.pay("cash", 500)
    assert lane2.complete()["sale"]["state"] == "completed"


def test_a_per_customer_coupon_needs_the_member_and_counts_per_member(lane: Lane, node: Node) -> None:
    lane.open_sale()
    lane.add(code=TEA)
    anonymous = lane.call("POST", f"/sales/{lane.sale_id}/coupons", code="WELCOME")
    assert anonymous["totals"]["total"] == 4000
    assert [(r["code"], r["reason"]) for r in anonymous["rejected_coupons"]] == [("WELCOME", "needs_customer")]
    sale = lane.call("POST", f"/sales/{lane.sale_id}/member", member_id="M2002")
    assert sale["totals"]["total"] == 3700 and sale["rejected_coupons"] == []
    lane.pay("cash", 3700)
    lane.complete()
    assert _coupon_uses(node) == [("WELCOME", "M2002")]
    lane.open_sale()
    lane.add(code=TEA)
    lane.call("POST", f"/sales/{lane.sale_id}/member", member_id="M2002")
    again = lane.call("POST", f"/sales/{lane.sale_id}/coupons", 422, code="WELCOME")
    assert "Coupon WELCOME was already used by this customer" in again["message"]
    other = lane.call("POST", f"/sales/{lane.sale_id}/member", member_id="M1001")
    assert other["member"]["member_id"] == "M1001"
    priced = lane.call("POST", f"/sales/{lane.sale_id}/coupons", code="WELCOME")
    assert priced["totals"]["total"] == 4000 - 400 - 300


def test_a_presented_coupon_that_gave_nothing_is_not_used_up(lane: Lane, node: Node) -> None:
    lane.open_sale()
    lane.add(code=TEA)
    lane.call("POST", f"/sales/{lane.sale_id}/lines/1/void")
    lane.add(sku="TEA")
    lane.call("PATCH", f"/sales/{lane.sale_id}/lines/2", quantity=1)
    lane.call("POST", f"/sales/{lane.sale_id}/coupons", code="SAVE5")
    lane.call("DELETE", f"/sales/{lane.sale_id}/coupons/SAVE5")
    lane.pay("cash", 4000)
    lane.complete()
    assert _coupon_uses(node) == []


def test_members_import_from_the_command_line_is_all_or_nothing(node: Node, store_config: Path, tmp_path: Path) -> None:
    node.close()
    good = tmp_path / "members.csv"
    good.write_text("id,tier,name\nM1,gold,A\nM2,silver,B\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,tier,name,active\nM3,gold,C,true\nM 4,gold,D,true\n", encoding="utf-8")

    def storenode(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "edge.cli", "--config", str(store_config), *args],
                              capture_output=True, text=True, timeout=120)

    done = storenode("members", "import", str(good))
    assert done.returncode == 0 and "imported 2 member(s): 2 new, 0 updated" in done.stdout
    refused = storenode("members", "import", str(bad))
    assert refused.returncode == 2 and f"{bad}: line 3: member id 'M 4'" in refused.stderr
    with pytest.raises(InvalidInput, match="missing column"):
        import_members(node.ledger, _write(tmp_path / "x.csv", "name\nA\n"))
    import sqlite3

    with sqlite3.connect(store_config.parent / "store.db") as conn:
        assert sorted(r[0] for r in conn.execute("SELECT id FROM member")) == ["M1", "M2"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
