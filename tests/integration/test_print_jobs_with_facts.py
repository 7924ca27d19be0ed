"""Return slips, Z and X reports: each print job is written in the same transaction as the fact it
prints, so no crash between the two can lose the paper, and a failed fact leaves no job behind."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from devices.simulator import Simulator
from edge.bootstrap import Node
from edge.sale_tables import PrintJobRow, ReturnRow
from pos.receipt import ReportKind, ReturnSlip, ShiftReport, document_from_dict
from pos.returns import ReturnItem
from tests.support.lane import new_id
from tests.support.lane_devices import COLA, LaneRig

FLOAT = 20000


@pytest.fixture
def rig(printing_rig: LaneRig) -> LaneRig:
    return printing_rig


def sell_two_colas(rig: LaneRig) -> str:
    rig.lane.open_sale()
    rig.lane.add(code=COLA, quantity=2)
    rig.lane.pay("cash", 600)
    return str(rig.lane.complete()["receipt_no"])


def jobs(node: Node, kind: str) -> list[PrintJobRow]:
    with node.ledger.read() as session:
        return list(session.exec(select(PrintJobRow).where(PrintJobRow.kind == kind)).all())


def journal(node: Node, kind: str) -> list[dict[str, object]]:
    with node.ledger.reader.connect() as conn:
        rows = conn.exec_driver_sql("SELECT payload FROM journal WHERE kind = ? ORDER BY seq", (kind,))
        return [json.loads(row[0])["data"] for row in rows]


def shift_facts(node: Node) -> int:
    with node.ledger.reader.connect() as conn:
        return int(conn.exec_driver_sql("SELECT COUNT(*) FROM shift_fact").scalar_one())


def refuse_print_jobs(node: Node) -> None:
    """The print_job table refuses every row, as a full disk would: the fact must fail with it."""
    with node.ledger.writer.begin() as conn:
        conn.exec_driver_sql("CREATE TRIGGER no_room BEFORE INSERT ON print_job "
                             "BEGIN SELECT RAISE(ABORT, 'no room for print jobs'); END")


def allow_print_jobs(node: Node) -> None:
    with node.ledger.writer.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER no_room")


def test_the_slip_and_the_z_report_jobs_come_with_the_return_and_the_close(rig: LaneRig, sim: Simulator) -> None:
    # Nothing after the commit may queue them: the jobs must already be part of the facts.
    rig.node.returns.listeners.clear()
    rig.node.shifts.closed_listeners.clear()
    receipt_no = sell_two_colas(rig)
    return_id = new_id()
    rig.lane.call("POST", "/returns", 201, return_id=return_id, lane=1, receipt=receipt_no,
                  lines=[{"line_id": 1, "quantity": 1}], approval={"manager_id": "100", "pin": "9753"})
    (slip_job,) = jobs(rig.node, "return_slip")
    slip = document_from_dict(json.loads(slip_job.document))
    assert isinstance(slip, ReturnSlip) and slip_job.ref == return_id and slip_job.printer == "lane1"
    assert slip.original_receipt_no == receipt_no and slip.total == 300
    assert [line.name_en for line in slip.lines] == ["Cola 330ml"]

    shift_id = rig.lane.call("GET", "/lanes/1/shift")["shift_id"]
    z = rig.lane.call("POST", "/lanes/1/shift/close", 200, counted_cash=FLOAT + 600 - 300)
    (z_job,) = jobs(rig.node, "z_report")
    report = document_from_dict(json.loads(z_job.document))
    assert isinstance(report, ShiftReport) and z_job.ref == shift_id
    assert (report.kind, report.report_no, report.net_sales, report.cash_counted) == (
        ReportKind.Z, f"Z{z['z_number']:06d}", 300, FLOAT + 300)
    printed = sim.printer.wait_for_receipts(3, timeout_s=20)  # the spooler finds them by itself
    assert "Z REPORT (end of day)" in printed[2].text and "RETURN SLIP" in printed[1].text


def test_a_return_that_cannot_write_its_slip_job_is_not_made(rig: LaneRig) -> None:
    receipt_no = sell_two_colas(rig)
    return_id = new_id()
    facts = shift_facts(rig.node)
    refuse_print_jobs(rig.node)
    with pytest.raises(IntegrityError, match="no room for print jobs"):
        rig.node.returns.with_receipt(return_id, receipt_no, [ReturnItem(1, 1)], lane=1, cashier_id="101",
                                      manager_id="100")
    with rig.node.ledger.read() as session:
        assert session.get(ReturnRow, return_id) is None
    assert jobs(rig.node, "return_slip") == [] and journal(rig.node, "return.completed") == []
    assert shift_facts(rig.node) == facts  # the shift counts no return
    allow_print_jobs(rig.node)
    done = rig.node.returns.with_receipt(return_id, receipt_no, [ReturnItem(1, 1)], lane=1, cashier_id="101",
                                         manager_id="100")
    assert not done.replayed and [job.ref for job in jobs(rig.node, "return_slip")] == [return_id]


def test_a_close_that_cannot_write_its_z_report_job_leaves_the_shift_open(rig: LaneRig) -> None:
    sell_two_colas(rig)
    refuse_print_jobs(rig.node)
    with pytest.raises(IntegrityError, match="no room for print jobs"):
        rig.node.shifts.close(1, FLOAT + 600)
    assert rig.lane.call("GET", "/lanes/1/shift")["state"] == "open"
    assert jobs(rig.node, "z_report") == [] and journal(rig.node, "shift.closed") == []
    allow_print_jobs(rig.node)
    report = rig.node.shifts.close(1, FLOAT + 600)
    assert report.z_number == 1  # the failed close took no Z number
    assert [job.ref for job in jobs(rig.node, "z_report")] == [report.shift_id]


def test_an_x_report_prints_on_the_lane_printer_and_the_journal_says_who_printed_it(
    rig: LaneRig, sim: Simulator
) -> None:
    sell_two_colas(rig)
    answer = rig.lane.call("POST", "/lanes/1/shift/x-report/print", 201)
    assert answer["printer"] == "lane1" and answer["z_number"] is None and answer["sales_total"] == 600
    (job,) = jobs(rig.node, "x_report")
    assert job.ref == answer["shift_id"] and job.lane == 1
    report = document_from_dict(json.loads(job.document))
    assert isinstance(report, ShiftReport) and report.kind is ReportKind.X
    (entry,) = journal(rig.node, "shift.x_report_printed")
    assert (entry["operator_id"], entry["lane"], entry["shift_id"]) == ("101", 1, answer["shift_id"])
    assert entry["at"] == answer["as_of"]
    paper = sim.printer.wait_for_receipts(2, timeout_s=20)[1]
    assert "X REPORT (shift reading)" in paper.text and "Cashier" in paper.text
    assert any(line.startswith("Net sales") and line.endswith("6.00") for line in paper.decoded.lines)
    assert rig.lane.call("GET", "/lanes/1/shift")["state"] == "open"  # an X report closes nothing


def test_an_x_report_on_a_lane_without_a_printer_is_refused_and_not_journaled(rig: LaneRig) -> None:
    rig.manager.call("POST", "/lanes/2/shift", 201, shift_id=new_id(), float_amount=FLOAT)
    refused = rig.manager.call("POST", "/lanes/2/shift/x-report/print", 409)
    assert "lane 2 has no receipt printer" in refused["message"]
    assert journal(rig.node, "shift.x_report_printed") == [] and jobs(rig.node, "x_report") == []
    assert "no shift is open on lane 3" in rig.manager.call("POST", "/lanes/3/shift/x-report/print", 409)["message"]
