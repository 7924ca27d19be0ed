"""Pick-up slips through the API and the print queue to the simulator's TCP printer, decoded back
to what the paper says; the journal says who printed which order; a retried request prints once."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from devices.simulator import Simulator
from edge.bootstrap import Node
from pos.pickup_slip import PickupSlip
from pos.receipt import document_from_dict
from tests.support.lane import new_id
from tests.support.lane_devices import LaneRig, wait_for


@pytest.fixture
def rig(printing_rig: LaneRig) -> LaneRig:
    return printing_rig


def order(**changes: Any) -> dict[str, Any]:
    """An order as the order service will hold it: milk picked, dragon fruit short, cherries
    weighed out, bread substituted, tofu missing; paid online in full before the short pick."""
    body: dict[str, Any] = {
        "request_id": new_id(), "order_no": "WEB-88231", "pickup_code": "K7Q2M9",
        "customer": {"name": "陈静", "phone": "+86 138-0013-5678"},
        "promised_at": "2024-05-01T10:00:00Z",
        "lines": [
            {"sku": "MILK", "name_en": "Fresh Milk 1L", "name_zh": "鲜牛奶 1升", "quantity": 2, "picked": 2, "amount": 2500},
            {"sku": "DRAGON", "name_en": "Dragon Fruit", "name_zh": "火龙果", "quantity": 3, "picked": 1, "amount": 1200,
             "location": "F1"},
            {"sku": "CHERRY", "name_en": "Cherries", "name_zh": "车厘子", "grams": 500, "picked": 523, "amount": 4710},
            {"sku": "BREAD", "name_en": "Whole Wheat Bread", "name_zh": "全麦面包", "quantity": 1, "picked": 0, "amount": 1590,
             "substitute": {"sku": "RYE", "name_en": "Rye Bread", "name_zh": "黑麦面包", "quantity": 1}},
            {"sku": "TOFU", "name_en": "Silken Tofu", "name_zh": "嫩豆腐", "quantity": 2, "picked": 0, "amount": 0},
        ],
        "subtotal": 10000, "discount": 500, "total": 9500, "paid": 12650, "note": "keep cold",
    }
    body.update(changes)
    return body


def journal(node: Node, kind: str) -> list[dict[str, Any]]:
    with node.ledger.reader.connect() as conn:
        rows = conn.exec_driver_sql("SELECT payload FROM journal WHERE kind = ? ORDER BY seq", (kind,))
        return [json.loads(row[0])["data"] for row in rows]


def stored_document(node: Node, job_id: int) -> str:
    with node.ledger.reader.connect() as conn:
        return str(conn.exec_driver_sql("SELECT document FROM print_job WHERE id = ?", (job_id,)).scalar())


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_pick_up_slip_prints_on_the_lane_printer_and_says_what_is_in_the_bag(
    rig: LaneRig, sim: Simulator, language: str
) -> None:
    job = rig.lane.call("POST", "/lanes/1/pickup-slips", 201, **order(language=language))
    assert (job["kind"], job["ref"], job["printer"], job["lane"], job["reprint"]) == ("pickup_slip", "WEB-88231", "lane1", 1, False)
    paper = sim.printer.wait_for_receipts(1, timeout_s=20)[0].decoded
    zh = language == "zh-CN"
    lines, text = paper.lines, paper.text
    assert ("自提单" if zh else "PICK-UP SLIP") in text and "WEB-88231" in text
    code_label = lines.index("取货码:" if zh else "Pick-up code:")
    assert lines[code_label + 1].strip() == "K 7 Q 2 M 9"
    assert any(line.startswith("电话:" if zh else "Phone:") and line.endswith("*********5678") for line in lines)
    assert "138" not in text and "陈静" in text
    assert any(line.endswith("2024-05-01 18:00") for line in lines)  # 10:00 UTC, promised in Shanghai time
    for name in (("鲜牛奶 1升", "火龙果", "车厘子", "全麦面包", "嫩豆腐") if zh else
                 ("Fresh Milk 1L", "Dragon Fruit", "Cherries", "Whole Wheat Bread", "Silken Tofu")):
        assert name in lines
    marks = ("[x] 已拣", "[!] 缺 2", "[~] 已替换", "[!] 缺货") if zh else ("[x] picked", "[!] SHORT 2", "[~] SUBSTITUTED", "[!] MISSING")
    for mark in marks:
        assert any(mark in line for line in lines), mark
    assert any("0.523/0.500 kg" in line and line.endswith("47.10") for line in lines)
    assert ("-> 替换为: 黑麦面包 x1" if zh else "-> instead: Rye Bread x1") in text
    assert any(line.startswith("合计 CNY" if zh else "TOTAL CNY") and line.endswith("95.00") for line in lines)
    assert any(line.startswith("应退款" if zh else "TO REFUND") and line.endswith("31.50") for line in lines)
    assert ("顾客签字:" if zh else "Customer signature:") in lines
    assert paper.qr_codes == ["PICKUP:WEB-88231:K7Q2M9"] and paper.barcodes == ["PUK7Q2M9"]
    assert all(len(line) <= 48 for line in lines)

    (entry,) = journal(rig.node, "pickup_slip.printed")
    assert (entry["order_no"], entry["lane"], entry["operator_id"], entry["print_job_id"]) == ("WEB-88231", 1, "101", job["id"])
    stored = stored_document(rig.node, job["id"])
    assert "13800135678" not in stored and "0013" not in stored  # the ledger holds the masked phone only
    slip = document_from_dict(json.loads(stored))
    assert isinstance(slip, PickupSlip) and slip.customer_phone == "*********5678" and slip.staff == "101"
    wait_for(lambda: next(j for j in rig.jobs() if j["id"] == job["id"])["state"] == "printed", "the job marked printed")


def test_a_retried_request_prints_the_slip_once_and_answers_the_first_job(rig: LaneRig, sim: Simulator) -> None:
    body = order()
    first = rig.lane.call("POST", "/lanes/1/pickup-slips", 201, **body)
    again = rig.lane.call("POST", "/lanes/1/pickup-slips", 201, **body)
    assert again["id"] == first["id"]
    sim.printer.wait_for_receipts(1, timeout_s=20)
    by_manager = rig.manager.call("POST", "/lanes/1/pickup-slips", 201, **body)  # the same request from anyone
    assert by_manager["id"] == first["id"]
    time.sleep(1.0)  # several spooler rounds: nothing more may print
    assert len(sim.printer.receipts()) == 1
    assert len(journal(rig.node, "pickup_slip.printed")) == 1
    assert [j["id"] for j in rig.jobs() if j["kind"] == "pickup_slip"] == [first["id"]]
    reused = rig.lane.call("POST", "/lanes/1/pickup-slips", 409, **order(request_id=body["request_id"], order_no="WEB-2"))
    assert "already used for pickup_slip.print of WEB-88231" in reused["message"]


def test_a_reprint_of_a_slip_is_marked_reprint(rig: LaneRig, sim: Simulator) -> None:
    job = rig.lane.call("POST", "/lanes/1/pickup-slips", 201, **order())
    assert "REPRINT" not in sim.printer.wait_for_receipts(1, timeout_s=20)[0].text
    reprint = rig.lane.call("POST", f"/print-jobs/{job['id']}/reprint", 201)
    assert reprint["reprint"] and reprint["reprint_of"] == job["id"] and reprint["kind"] == "pickup_slip"
    again = sim.printer.wait_for_receipts(2, timeout_s=20)[1]
    assert "*** REPRINT ***" in again.text and "WEB-88231" in again.text
    assert again.decoded.qr_codes == ["PICKUP:WEB-88231:K7Q2M9"]


def test_who_may_print_where(rig: LaneRig) -> None:
    refused = rig.manager.call("POST", "/lanes/2/pickup-slips", 409, **order())
    assert "lane 2 has no receipt printer" in refused["message"]
    assert journal(rig.node, "pickup_slip.printed") == []
    not_theirs = rig.lane.call("POST", "/lanes/2/pickup-slips", 403, **order())
    assert "lane 2 is not theirs" in not_theirs["message"]
    response = rig.client.post("/api/v1/lanes/1/pickup-slips", json=order())
    assert response.status_code == 401
    assert rig.manager.call("POST", "/lanes/1/pickup-slips", 201, **order())["printer"] == "lane1"


def _with(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(("path", "value", "field", "message"), [
    (("lines",), [], "body.lines", "at least 1 item"),
    (("lines", 0, "quantity"), -2, "body.lines.0.quantity", "greater than or equal to 1"),
    (("lines", 0, "picked"), 3, "body.lines.0.picked", "picked 3 is more than the 2 ordered"),
    (("lines", 0, "grams"), 500, "body.lines.0", "not both or neither"),
    (("lines", 1), {"quantity": 3, "amount": 1200}, "body.lines.1", "give name_en or name_zh"),
    (("lines", 3, "picked"), 1, "body.lines.3.substitute", "picked 0 (or none)"),
    (("language",), "fr", "body.language", "'en' or 'zh-CN'"),
    (("promised_at",), "2024-05-01T18:00:00", "body.promised_at", "timezone"),
    (("customer", "phone"), "12-34", "body.customer.phone", "too few"),
    (("pickup_code",), "k7q2", "body.pickup_code", "pattern"),
    (("subtotal",), 9999, "body.subtotal", "not the sum of the lines"),
    (("total",), 10000, "body.total", "not subtotal 10000 less discount 500"),
    (("lines", 0, "qty"), 2, "body.lines.0.qty", "Extra inputs are not permitted"),
    (("paid",), -1, "body.paid", "greater than or equal to 0"),
])
def test_a_bad_order_is_refused_naming_the_field(
    rig: LaneRig, path: tuple[Any, ...], value: Any, field: str, message: str
) -> None:
    body = _with(order(), path, value)
    answer = rig.lane.call("POST", "/lanes/1/pickup-slips", 422, **body)
    assert answer["error"] == "invalid_input"
    assert any(p["field"] == field and message in p["message"] for p in answer["fields"]), answer
    assert journal(rig.node, "pickup_slip.printed") == []
