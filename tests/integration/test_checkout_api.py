"""The lane transaction through the real HTTP API on a real ledger."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edge import journal
from edge.bootstrap import Node
from edge.catalog import import_catalog
from edge.clock import from_utc_text
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from pos.refund import Refund
from pos.sale import Sale
from pos.shift import ReturnRecorded, SaleRecorded, fact_to_dict
from sync.projection import sales_figure
from tests.support.lane import Lane, new_id
from tests.support.store import item_row, write_catalog

COLA = gtin13_with_check_digit("690000000001")  # 3.00, VAT13
RICE = gtin13_with_check_digit("690000000002")  # 39.90, VAT9
UNKNOWN = gtin13_with_check_digit("690000000099")


@pytest.fixture
def lane(client: TestClient, node: Node, tmp_path: Path) -> Iterator[Lane]:
    node.operators.add("100", "Manager", Role.MANAGER, "9753")
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    rows = [
        item_row("COLA", COLA, price="300", tax_class="VAT13"),
        item_row("RICE", RICE, price="3990", tax_class="VAT9"),
        item_row("BANANA", "10002", unit="kg", price="698", tax_class="VAT0"),
    ]
    import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", rows))
    token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 1}).json()["token"]
    lane = Lane(client, {"authorization": f"Bearer {token}"})
    lane.open_shift()
    yield lane


def kinds(node: Node) -> list[str]:
    with node.ledger.reader.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT kind FROM journal ORDER BY seq")]


def stock(node: Node, sku: str) -> int:
    with node.ledger.reader.connect() as conn:
        return int(conn.exec_driver_sql("SELECT COALESCE(SUM(on_hand), 0) FROM stock_level WHERE sku = ?", (sku,)).scalar() or 0)


def test_a_whole_sale_split_tender_and_an_idempotent_complete(lane: Lane, node: Node) -> None:
    lane.open_sale()
    lane.add(code=COLA, quantity=2)
    sale = lane.add(code=RICE)
    sale = lane.add(code="10002", scale={"grams": 1250, "stable": True, "scale_id": "SC1"})
    assert [line["sku"] for line in sale["lines"]] == ["COLA", "RICE", "BANANA"]
    assert sale["lines"][2]["quantity"] == 1250 and sale["lines"][2]["scale_id"] == "SC1"
    totals = sale["totals"]
    assert totals["total"] == 600 + 3990 + 873  # banana: 6.98/kg x 1.250 kg = 8.725 -> 8.73
    assert {c["tax_class"]: c["tax"] for c in totals["classes"]} == {"VAT0": 0, "VAT13": 69, "VAT9": 329}
    assert sum(c["gross"] for c in totals["classes"]) == totals["total"]
    lane.pay("card", 4000, reference="RRN 000123")
    paid = lane.pay("cash", 2000)
    assert paid["settlement"]["settled"] and paid["settlement"]["change"] == 2000 - 1463

    request_id = new_id()
    done = lane.complete(request_id)
    assert done["receipt_no"] == "T001-00000001" and done["change"] == 537 and not done["replayed"]
    again = lane.complete(request_id)
    assert again["replayed"] and again["receipt_no"] == done["receipt_no"]
    second = lane.complete(expect=409)
    assert "already completed as receipt T001-00000001" in second["message"]
    assert kinds(node).count("sale.completed") == 1
    assert (stock(node, "COLA"), stock(node, "RICE"), stock(node, "BANANA")) == (-2, -1, -1250)
    receipt = lane.call("GET", "/receipts/T001-00000001")
    assert receipt["sale"]["state"] == "completed"


def test_receipt_numbers_are_gap_free_even_across_cancels(lane: Lane, node: Node) -> None:
    numbers = []
    for n in range(3):
        lane.open_sale()
        lane.add(code=COLA)
        if n == 1:
            lane.call("POST", f"/sales/{lane.sale_id}/cancel", 200)
            continue
        lane.pay("cash", 300)
        numbers.append(lane.complete()["receipt_no"])
    assert numbers == ["T001-00000001", "T001-00000002"]


def test_bad_input_is_refused_clearly_and_the_cart_is_intact(lane: Lane) -> None:
    lane.open_sale()
    lane.add(code=COLA)
    missing = lane.add(code=UNKNOWN, expect=404)
    assert UNKNOWN in missing["message"]
    assert "check digit" in lane.add(code="6900000000010", expect=422)["message"]
    assert lane.add(code=COLA, quantity=0, expect=422)["fields"][0]["field"] == "body.quantity"
    assert lane.add(code=COLA, quantity=-1, expect=422)
    assert lane.add(code=COLA, quantity=100000, expect=422)
    assert "put it on the scale" in lane.add(code="10002", expect=422)["message"]
    assert "is not stable (500 g)" in lane.add(code="10002", scale={"grams": 500, "stable": False}, expect=422)["message"]
    assert "CNY" in lane.pay("cash", 100, currency="USD", expect=422)["message"]
    underpaid = lane.complete(expect=409)
    assert "underpaid" in underpaid["message"]
    over = lane.pay("card", 5000, reference="RRN 1", expect=422)
    assert "50.00" in over["message"] and "3.00" in over["message"]
    assert "card" in lane.pay("card", 300, reference="4111111111111111", expect=422)["message"].lower()
    sale = lane.call("GET", f"/sales/{lane.sale_id}")
    assert [line["sku"] for line in sale["lines"]] == ["COLA"] and sale["tenders"] == []


def test_empty_sale_cannot_complete(lane: Lane) -> None:
    lane.open_sale()
    assert "empty" in lane.complete(expect=422)["message"]


def test_void_and_override_need_a_manager_and_are_journaled_with_both_ids(lane: Lane, node: Node) -> None:
    lane.open_sale()
    lane.add(code=COLA, quantity=3)
    lane.add(code=RICE)
    refused = lane.call("POST", f"/sales/{lane.sale_id}/lines/2/price", 403, unit_price=3000, reason="damaged bag")
    assert "needs a manager" in refused["message"]
    bad_pin = lane.call("POST", f"/sales/{lane.sale_id}/lines/2/price", 401, unit_price=3000, reason="damaged bag",
                        approval={"manager_id": "100", "pin": "0000"})
    assert "approval refused" in bad_pin["message"]
    sale = lane.call("POST", f"/sales/{lane.sale_id}/lines/2/price", 200, unit_price=3000, reason="damaged bag",
                     approval={"manager_id": "100", "pin": "9753"})
    assert sale["totals"]["total"] == 900 + 3000
    lane.pay("cash", 1000)
    refused = lane.call("POST", f"/sales/{lane.sale_id}/lines/1/void", 403)
    assert "manager" in refused["message"]
    lane.call("POST", f"/sales/{lane.sale_id}/lines/1/void", 200, approval={"manager_id": "100", "pin": "9753"})
    with node.ledger.reader.connect() as conn:
        rows = {e.kind: e.data for e in journal.rows_after(conn, 0, 100)}
    assert rows["sale.price_overridden"]["cashier_id"] == "101" and rows["sale.price_overridden"]["manager_id"] == "100"
    assert rows["sale.line_voided"]["manager_id"] == "100"


def test_suspend_resume_on_another_lane_and_twice_at_once(lane: Lane, client: TestClient) -> None:
    lane.open_sale()
    lane.add(code=COLA)
    lane.call("POST", f"/sales/{lane.sale_id}/suspend")
    assert [s["sale_id"] for s in lane.call("GET", "/sales/suspended")] == [lane.sale_id]  # type: ignore[index]
    token = client.post("/api/v1/auth/login", json={"operator_id": "101", "pin": "1357", "lane": 2}).json()["token"]
    lane2 = Lane(client, {"authorization": f"Bearer {token}"}, lane=2)
    lane2.open_shift()
    resumed = lane2.call("POST", f"/sales/{lane.sale_id}/resume", 200, lane=2)
    assert resumed["lane"] == 2 and resumed["state"] == "open"
    again = lane.call("POST", f"/sales/{lane.sale_id}/resume", 409, lane=1)
    assert "not suspended" in again["message"]


def test_a_restart_resumes_the_open_cart(lane: Lane, node: Node, store_config: Path) -> None:
    from edge.bootstrap import build_node
    from edge.settings import load_settings

    lane.open_sale()
    lane.add(code=COLA, quantity=2)
    node.close()
    reopened = build_node(load_settings(store_config))
    try:
        cart = reopened.checkout.open_on_lane(1)
        assert cart is not None and cart.sale_id == lane.sale_id and cart.lines[0].quantity == 2
    finally:
        reopened.close()


def test_a_cart_saved_as_json_text_by_an_older_node_carries_on_and_is_saved_deflated(lane: Lane, node: Node) -> None:
    """Carts were JSON text before the node deflated them: a node upgraded mid-sale resumes them."""
    lane.open_sale()
    lane.add(code=COLA)
    cart = node.checkout.get(lane.sale_id)
    with node.ledger.writer.begin() as conn:
        conn.exec_driver_sql("UPDATE open_sale SET body = ? WHERE sale_id = ?", (json.dumps(cart.to_dict()), lane.sale_id))
    node.checkout._carts.clear()  # as after a restart: nothing in memory
    assert [line["quantity"] for line in lane.call("GET", f"/sales/{lane.sale_id}")["lines"]] == [1]
    assert [line["quantity"] for line in lane.add(code=COLA, quantity=2)["lines"]] == [1, 2]
    with node.ledger.reader.connect() as conn:
        body = conn.exec_driver_sql("SELECT body FROM open_sale WHERE sale_id = ?", (lane.sale_id,)).scalar()
    assert isinstance(body, bytes) and json.loads(zlib.decompress(body))["version"] == node.checkout.get(lane.sale_id).version


def test_returns_with_receipt_prorate_and_never_exceed_what_was_sold(lane: Lane, node: Node) -> None:
    lane.open_sale()
    lane.add(code=COLA, quantity=3)
    lane.pay("card", 900, reference="RRN 9")
    receipt_no = lane.complete()["receipt_no"]
    first = lane.call("POST", "/returns", 201, return_id=new_id(), lane=1, receipt=f"storenode:receipt:{receipt_no}",
                      lines=[{"line_id": 1, "quantity": 2}])
    assert first["total"] == 600 and first["tenders"][0]["kind"] == "card"
    too_many = lane.call("POST", "/returns", 409, return_id=new_id(), lane=1, receipt=receipt_no,
                         lines=[{"line_id": 1, "quantity": 2}])
    assert "1 pcs left to return" in too_many["message"]
    not_on = lane.call("POST", "/returns", 404, return_id=new_id(), lane=1, receipt=receipt_no,
                       lines=[{"line_id": 7, "quantity": 1}])
    assert "line 7 is not on receipt" in not_on["message"]
    rid = new_id()
    damaged = lane.call("POST", "/returns", 201, return_id=rid, lane=1, receipt=receipt_no,
                        lines=[{"line_id": 1, "quantity": 1, "disposition": "damaged"}])
    replay = lane.call("POST", "/returns", 201, return_id=rid, lane=1, receipt=receipt_no,
                       lines=[{"line_id": 1, "quantity": 1, "disposition": "damaged"}])
    assert replay["replayed"] and replay["journal_seq"] == damaged["journal_seq"]
    reused = lane.call("POST", "/returns", 409, return_id=rid, lane=1, receipt=receipt_no,
                       lines=[{"line_id": 1, "quantity": 1, "disposition": "restock"}])
    assert "already used for a different return" in reused["message"]
    assert stock(node, "COLA") == -3 + 2  # two restocked, one written off as damaged


def test_return_without_receipt_needs_a_manager(lane: Lane) -> None:
    refused = lane.call("POST", "/returns", 403, return_id=new_id(), lane=1, sku="RICE", quantity=1)
    assert "needs a manager" in refused["message"]
    done = lane.call("POST", "/returns", 201, return_id=new_id(), lane=1, sku="RICE", quantity=1,
                     approval={"manager_id": "100", "pin": "9753"})
    assert done["total"] == 3990 and done["manager_id"] == "100"


def test_shift_x_and_z_reports_and_gap_free_z_numbers(lane: Lane, node: Node) -> None:
    lane.open_sale()
    lane.add(code=COLA, quantity=2)
    lane.pay("cash", 1000)
    lane.complete()
    lane.call("POST", "/lanes/1/shift/cash", 200, kind="drop", amount=5000)
    assert "manager" in lane.call("POST", "/lanes/1/shift/no-sale", 403, reason="change for customer")["message"]
    lane.call("POST", "/lanes/1/shift/no-sale", 200, reason="change", approval={"manager_id": "100", "pin": "9753"})
    x = lane.call("GET", "/lanes/1/shift/x-report")
    assert x["sales_count"] == 1 and x["sales_total"] == 600 and x["z_number"] is None
    assert x["expected_cash"] == 20000 + 600 - 5000 and x["no_sales"] == 1
    z = lane.call("POST", "/lanes/1/shift/close", 200, counted_cash=15500)
    assert z["z_number"] == 1 and z["variance"] == -100
    lane.open_shift()
    assert lane.call("POST", "/lanes/1/shift/close", 200, counted_cash=20000)["z_number"] == 2
    assert {"shift.no_sale", "shift.closed", "shift.cash_moved"} <= set(kinds(node))


def test_a_completed_sale_has_one_time_in_every_row_it_writes(lane: Lane, node: Node) -> None:
    lane.open_sale()
    lane.add(code=COLA)
    lane.add(code=RICE)
    lane.pay("cash", 5000)
    request_id = new_id()
    done = lane.complete(request_id)
    with node.ledger.reader.connect() as conn:
        sale_at, seq = conn.exec_driver_sql(
            "SELECT completed_at, journal_seq FROM sale WHERE receipt_no = ?", (done["receipt_no"],)).one()
        times = {
            "journal": conn.exec_driver_sql("SELECT at FROM journal WHERE seq = ?", (seq,)).scalar_one(),
            "movements": {at for (at,) in conn.exec_driver_sql("SELECT at FROM stock_movement WHERE journal_seq = ?", (seq,))},
            "request": conn.exec_driver_sql("SELECT created_at FROM request WHERE request_id = ?", (request_id,)).scalar_one(),
        }
    assert times == {"journal": sale_at, "movements": {sale_at}, "request": sale_at}
    assert datetime.fromisoformat(done["sale"]["closed_at"]) == from_utc_text(sale_at)


def test_the_shift_facts_of_a_sale_and_a_return_are_their_own_journal_rows_derived(lane: Lane, node: Node) -> None:
    """The journal holds a sale (or return) once; the shift's fact of it is state, rebuilt from
    that row alone, as the design asks of every state table."""
    lane.open_sale()
    lane.add(code=COLA, quantity=2)
    lane.pay("card", 300, reference="RRN 1")
    lane.pay("cash", 500)
    receipt_no = lane.complete()["receipt_no"]
    lane.call("POST", "/returns", 201, return_id=new_id(), lane=1, receipt=receipt_no, lines=[{"line_id": 1, "quantity": 1}])
    with node.ledger.reader.connect() as conn:
        rows = {kind: json.loads(payload)["data"] for kind, payload in conn.exec_driver_sql(
            "SELECT kind, payload FROM journal WHERE kind IN ('sale.completed', 'return.completed')")}
        stored = [json.loads(body) for (body,) in conn.exec_driver_sql(
            "SELECT body FROM shift_fact WHERE shift_id = ? ORDER BY id", (rows["sale.completed"]["shift_id"],))]
    assert rows["return.completed"]["shift_id"] == rows["sale.completed"]["shift_id"]
    rebuilt = [
        fact_to_dict(SaleRecorded.from_sale(Sale.from_dict(rows["sale.completed"]["sale"]))),
        fact_to_dict(ReturnRecorded.from_refund(Refund.from_dict(rows["return.completed"]["refund"]))),
    ]
    assert stored[-2:] == rebuilt and rebuilt[0]["total"] == 600 and rebuilt[1]["total"] == 300
    # HQ's day figures subtract a return by the total its row carries
    assert sales_figure("return.completed", rows["return.completed"]).amount == -300
    assert not {"shift.sale_recorded", "shift.return_recorded"} & set(kinds(node))


def test_selling_needs_an_open_shift(lane: Lane) -> None:
    lane.call("POST", "/lanes/1/shift/close", 200, counted_cash=20000)
    refused = lane.call("POST", "/sales", 409, sale_id=new_id(), lane=1)
    assert "no shift is open on lane 1" in refused["message"]


def test_one_open_cart_per_lane_and_a_retried_open_finds_the_first(lane: Lane) -> None:
    first = lane.open_sale()
    again = lane.call("POST", "/sales", 201, sale_id=lane.sale_id, lane=1)
    assert again["sale_id"] == first["sale_id"]
    busy = lane.call("POST", "/sales", 409, sale_id=new_id(), lane=1)
    assert "lane 1 already has an open sale" in busy["message"]


def test_a_retried_tender_is_taken_once_and_a_reused_tender_id_is_refused(lane: Lane) -> None:
    lane.open_sale()
    lane.add(code=COLA)
    tender_id = new_id()
    body = {"tender_id": tender_id, "kind": "card", "amount": 200, "currency": "CNY", "reference": "RRN 5"}
    lane.call("POST", f"/sales/{lane.sale_id}/tenders", 200, **body)
    again = lane.call("POST", f"/sales/{lane.sale_id}/tenders", 200, **body)
    assert [t["amount"] for t in again["tenders"]] == [200]
    other = lane.call("POST", f"/sales/{lane.sale_id}/tenders", 409, **{**body, "amount": 100})
    assert "already a different payment" in other["message"]


def test_voiding_cash_needs_a_manager_so_a_paid_sale_cannot_be_taken_apart(lane: Lane) -> None:
    lane.open_sale()
    lane.add(code=COLA)
    sale = lane.pay("cash", 500)
    tender_id = sale["tenders"][0]["tender_id"]
    refused = lane.call("POST", f"/sales/{lane.sale_id}/tenders/{tender_id}/void", 403)
    assert "needs a manager" in refused["message"]



def test_a_saved_cart_is_the_same_json_as_its_dict() -> None:
    """The cart is saved from its snapshot (dataclasses rendered by orjson) and read back by
    from_dict: the JSON must be what to_dict says, promotion shares included."""
    import datetime as dt

    from edge import fastjson
    from pos.sale import Sale
    from pos.tax import LineDiscount, PromotionShare, StorePricing

    pricing = StorePricing(tax_rates_bp={"VAT13": 1300})
    sale = Sale.open(sale_id="S1", store_id="T001", lane_id="1", cashier_id="101", currency="CNY",
                     pricing=pricing, at=dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC))
    sale.discounts = {1: LineDiscount(50, (PromotionShare("P1", 30, "Spring", "春季"), PromotionShare("P2", 20)))}
    saved = fastjson.loads(fastjson.dumps(sale.snapshot()))
    assert saved == fastjson.loads(fastjson.dumps(sale.to_dict()))
    assert saved["discounts"][0]["promotions"][0] == {"promotion_id": "P1", "amount": 30, "name_en": "Spring", "name_zh": "春季"}
    assert Sale.from_dict(saved).discounts == sale.discounts
