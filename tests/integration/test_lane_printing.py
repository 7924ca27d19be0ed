"""Receipts through the print queue to the simulator's TCP printer, decoded back to what the paper
says: content in both languages and widths, offline printers, restarts, reprints, redirects."""

from __future__ import annotations

import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devices.sim_printer import VirtualPrinter
from devices.simulator import Simulator
from tests.support.lane import new_id
from tests.support.lane_devices import COLA, RICE, LaneRig, running_lane, wait_for, write_lane_store


def sell(rig: LaneRig, cash: int = 2000) -> str:
    """COLA x2, RICE, 1.250 kg of bananas; card 40.00 and cash; returns the receipt number."""
    rig.lane.open_sale()
    rig.lane.add(code=COLA, quantity=2)
    rig.lane.add(code=RICE)
    rig.lane.add(code="10002", scale={"grams": 1250, "stable": True, "scale_id": "lane1-scale"})
    rig.lane.pay("card", 4000, reference="RRN 000123")
    rig.lane.pay("cash", cash)
    return str(rig.lane.complete()["receipt_no"])


def job_state(rig: LaneRig, job_id: int) -> dict[str, object]:
    return next(job for job in rig.jobs() if job["id"] == job_id)


@pytest.mark.parametrize(("language", "model", "columns"), [
    ("zh-CN", "generic-58mm-gb18030", 32), ("zh-CN", "generic-80mm-gb18030", 48),
    ("en", "generic-58mm-gb18030", 32), ("en", "generic-80mm-gb18030", 48),
])
def test_a_cash_sale_prints_a_receipt_that_says_what_was_sold(
    tmp_path: Path, sim: Simulator, language: str, model: str, columns: int
) -> None:
    with running_lane(write_lane_store(tmp_path / "store", sim, language=language, printer_model=model)) as rig:
        receipt_no = sell(rig)
        printed = sim.printer.wait_for_receipts(1, timeout_s=20)[0].decoded
        closed_at = rig.node.completion.receipt(receipt_no).sale.closed_at
    assert closed_at is not None
    text, zh = printed.text, language == "zh-CN"
    names = ("可乐 330毫升", "香米 5公斤", "香蕉") if zh else ("Cola 330ml", "Jasmine Rice 5kg", "Bananas")
    for name in names:
        assert name in text
    assert ("测试店" if zh else "Test Store") in text
    assert receipt_no in text and closed_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S") in text
    assert "1.250 kg x 6.98/kg" in text
    total_line = next(line for line in printed.lines if ("合计" if zh else "TOTAL") in line)
    assert total_line.endswith("54.63")
    for tax in ("VAT13 13%", "VAT9 9%", "VAT0 0%"):
        assert tax in text
    assert any(line.startswith("VAT13 13%") and line.endswith("0.69") for line in printed.lines)
    assert any(line.startswith("VAT9 9%") and line.endswith("3.29") for line in printed.lines)
    assert any(("找零" if zh else "Change") in line and line.endswith("5.37") for line in printed.lines)
    assert "RRN 000123" in text and ("现金" if zh else "Cash") in text
    assert printed.qr_codes == [receipt_no] and printed.barcodes == [receipt_no]
    assert all(len(line) <= columns for line in printed.lines if line.isascii())


def test_a_printer_offline_then_back_prints_the_receipt_exactly_once(tmp_path: Path, sim: Simulator) -> None:
    sim.printer.go_offline()
    with running_lane(write_lane_store(tmp_path / "store", sim)) as rig:
        receipt_no = sell(rig)  # the sale does not wait for paper
        job = rig.jobs()[0]
        assert (job["kind"], job["ref"], job["printer"]) == ("receipt", receipt_no, "lane1")
        wait_for(lambda: job_state(rig, job["id"])["attempts"] >= 2, "failed attempts while offline")
        health = rig.client.get("/api/v1/devices", headers=rig.lane.headers).json()[0]
        assert health["printer"] == "disconnected"
        queue = next(d for d in health["devices"] if d["kind"] == "print-queue")
        assert queue["pending"] == 1 and "cannot be reached" in queue["last_error"]
        sim.printer.go_online()
        sim.printer.wait_for_receipts(1, timeout_s=20)
        wait_for(lambda: job_state(rig, job["id"])["state"] == "printed", "the job marked printed")
        time.sleep(1.0)  # several more spooler rounds: nothing more may print
        assert len(sim.printer.receipts()) == 1
        assert wait_for(lambda: rig.kinds("device") and rig.kinds("device")[-1]["printer"] == "ok", "printer ok again")


def test_a_pending_job_prints_once_after_a_restart_and_a_half_sent_one_is_flagged(tmp_path: Path, sim: Simulator) -> None:
    config = write_lane_store(tmp_path / "store", sim)
    sim.printer.go_offline()
    with running_lane(config) as rig:
        first = sell(rig)
        second = sell(rig)
        jobs = {job["ref"]: job["id"] for job in rig.jobs()}
    with rig.node.ledger.writer.begin() as conn:  # as if the node died between send and mark
        conn.exec_driver_sql("UPDATE print_job SET state = 'sending' WHERE id = ?", (jobs[second],))
    sim.printer.go_online()
    with running_lane(config, init=False, open_shift=False) as rig:
        printed = sim.printer.wait_for_receipts(1, timeout_s=20)
        time.sleep(1.0)
        assert len(sim.printer.receipts()) == 1 and first in printed[0].text
        flagged = job_state(rig, jobs[second])
        assert flagged["state"] == "unsure" and "reprint it if it is missing" in str(flagged["last_error"])
        reprint = rig.lane.call("POST", f"/print-jobs/{jobs[second]}/reprint", 201)
        assert reprint["reprint"] and reprint["reprint_of"] == jobs[second]
        again = sim.printer.wait_for_receipts(2, timeout_s=20)[1]
        assert second in again.text and "REPRINT" in again.text


def test_reprints_are_marked_and_jobs_redirect_to_another_printer(tmp_path: Path, sim: Simulator) -> None:
    spare = VirtualPrinter().start()
    try:
        extra = f', {{ id = "spare", model = "generic-58mm-gb18030", address = "{spare.address}" }}'
        with running_lane(write_lane_store(tmp_path / "store", sim, extra_printers=extra)) as rig:
            receipt_no = sell(rig)
            original = sim.printer.wait_for_receipts(1, timeout_s=20)[0]
            assert "REPRINT" not in original.text
            job_id = rig.jobs()[0]["id"]
            wait_for(lambda: job_state(rig, job_id)["state"] == "printed", "the first print marked")
            assert "reprint it on spare" in rig.lane.call("POST", f"/print-jobs/{job_id}/redirect", 409, printer="spare")["message"]

            copy = rig.lane.call("POST", f"/receipts/{receipt_no}/reprint", 201)
            assert copy["reprint"] and copy["printer"] == "lane1"
            reprinted = sim.printer.wait_for_receipts(2, timeout_s=20)[1]
            assert "重印 REPRINT" in reprinted.text and receipt_no in reprinted.text
            rig.lane.call("POST", f"/print-jobs/{job_id}/reprint", 201, printer="spare")
            assert "REPRINT" in spare.wait_for_receipts(1, timeout_s=20)[0].text

            sim.printer.go_offline()  # lane 1's printer jams: send the next receipt to the spare
            second = sell(rig)
            stuck = next(job for job in rig.jobs() if job["ref"] == second)
            wait_for(lambda: job_state(rig, stuck["id"])["attempts"] >= 1, "the stuck job's first failure")
            assert rig.lane.call("POST", f"/print-jobs/{stuck['id']}/redirect", 404, printer="nowhere")
            moved = rig.lane.call("POST", f"/print-jobs/{stuck['id']}/redirect", 200, printer="spare")
            assert moved["printer"] == "spare"
            on_spare = spare.wait_for_receipts(2, timeout_s=20)[1]
            assert second in on_spare.text and "REPRINT" not in on_spare.text
            wait_for(lambda: job_state(rig, stuck["id"])["state"] == "printed", "the redirected job marked")
            assert len(sim.printer.receipts()) == 2
            assert rig.lane.call("POST", "/print-jobs/9999/reprint", 404)
    finally:
        spare.stop()


def test_return_slips_and_the_z_report_are_printed(tmp_path: Path, sim: Simulator) -> None:
    with running_lane(write_lane_store(tmp_path / "store", sim, language="en")) as rig:
        receipt_no = sell(rig, cash=1463)
        rig.lane.call("POST", "/returns", 201, return_id=new_id(), lane=1, receipt=receipt_no,
                      lines=[{"line_id": 1, "quantity": 1}], approval={"manager_id": "100", "pin": "9753"})
        slip = sim.printer.wait_for_receipts(2, timeout_s=20)[1]
        assert "RETURN SLIP" in slip.text and receipt_no in slip.text and "Cola 330ml" in slip.text
        rig.lane.call("POST", "/lanes/1/shift/close", 200, counted_cash=20000 + 1463 - 300)
        z_report = sim.printer.wait_for_receipts(3, timeout_s=20)[2]
        assert "Z REPORT (end of day)" in z_report.text and "Z000001" in z_report.text
        assert any(line.startswith("Net sales CNY") and line.endswith("51.63") for line in z_report.decoded.lines)
        kinds = [job["kind"] for job in rig.jobs()]
        assert kinds == ["z_report", "return_slip", "receipt"]
