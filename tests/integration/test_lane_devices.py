"""Lane 1 bound to the simulator's real ptys and TCP printer: scans, the scale, the display, the
drawer, bad input, and a config the node refuses."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.simulator import Simulator
from edge.bootstrap import build_node
from edge.settings import ConfigError, load_settings
from tests.support.lane_devices import (
    BANANA_PLU,
    COLA,
    RICE,
    LaneRig,
    running_lane,
    storenode,
    wait_for,
    write_lane_store,
)
from tests.support.store import write_config

APPROVAL = {"manager_id": "100", "pin": "9753"}


@pytest.fixture
def rig(sim: Simulator, tmp_path: Path) -> Iterator[LaneRig]:
    with running_lane(write_lane_store(tmp_path / "store", sim)) as lane_rig:
        yield lane_rig


def test_a_scan_lands_in_the_persisted_cart_on_the_event_stream_and_the_display(rig: LaneRig, sim: Simulator) -> None:
    rig.lane.open_sale()
    sim.scanner.scan(COLA, aim_id="]E0")
    wait_for(lambda: rig.cart_skus() == ["COLA"], "the scanned cola in the cart")
    scan = wait_for(lambda: rig.kinds("scan"), "a scan event")[0]
    assert (scan["code"], scan["symbology"], scan["aim_id"], scan["source"]) == (COLA, "EAN-13", "]E0", "lane1-scanner")
    assert wait_for(lambda: [e for e in rig.kinds("sale") if e["lines"]], "the cart on the stream")[0]["lines"][0]["sku"] == "COLA"
    sim.scanner.scan(RICE)
    wait_for(lambda: rig.cart_skus() == ["COLA", "RICE"], "the rice in the cart")
    screen = wait_for(lambda: sim.display.lines if "42.90" in sim.display.lines[1] else None, "the total on the display")
    assert "香米" in screen[0] and "39.90" in screen[0]
    assert "合计" in screen[1]
    health = rig.client.get("/api/v1/devices", headers=rig.lane.headers).json()
    assert health[0]["lane"] == 1 and health[0]["scanner"] == "ok"
    assert {d["kind"] for d in health[0]["devices"]} == {"scanner", "scale", "display", "printer", "print-queue"}


def test_an_older_cart_told_late_does_not_replace_the_newer_one_on_the_display(rig: LaneRig, sim: Simulator) -> None:
    """A device's scan is told once its own sync is done, a lane command's once its group's is:
    an older version of the cart can come second, and the customer must not see it."""
    rig.lane.open_sale()
    sim.scanner.scan(COLA)
    wait_for(lambda: rig.cart_skus() == ["COLA"], "the cola in the cart")
    older = rig.node.checkout.open_on_lane(1)
    assert older is not None
    sim.scanner.scan(RICE)
    wait_for(lambda: sim.display.lines if "42.90" in sim.display.lines[1] else None, "the total on the display")
    rig.node.lanes.sale_changed(older)  # told late
    shown = threading.Event()
    rig.node.lanes.lane(1).work.submit(shown.set)  # runs after the late one, had it been queued
    assert shown.wait(5)
    threading.Event().wait(0.3)  # the display's own pty, read back by the simulator
    assert "42.90" in sim.display.lines[1]


def test_a_weighed_item_reads_the_lane_scale(rig: LaneRig, sim: Simulator) -> None:
    rig.lane.open_sale()
    sim.scale.put(1250)
    sim.scanner.scan(BANANA_PLU, aim_id="]C0")
    wait_for(lambda: rig.cart_skus() == ["BANANA"], "the weighed bananas")
    sale = rig.node.checkout.open_on_lane(1)
    assert sale is not None
    line = sale.active_lines[0]
    assert (line.quantity, line.weighed, line.scale_id) == (1250, True, "lane1-scale")
    assert line.amount == 873  # 6.98/kg x 1.250 kg, half up

    sim.scale.put(700, stable=False)  # still swinging: refused, the cart is untouched
    sim.scanner.scan(BANANA_PLU, aim_id="]C0")
    error = wait_for(lambda: rig.kinds("scan.error"), "a refused moving weight")[0]
    assert "settle" in error["message"]
    assert rig.cart_skus() == ["BANANA"]


def test_garbage_from_the_scanner_is_reported_and_the_lane_carries_on(rig: LaneRig, sim: Simulator) -> None:
    rig.lane.open_sale()
    sim.scanner.write(b"\xff\xfe\x00\x01garbage\r")
    error = wait_for(lambda: rig.kinds("scan.error"), "a scan.error for garbage")[0]
    assert "lane1-scanner" in error["source"]
    sim.scanner.write(b"x" * 10_000 + b"\r")  # longer than the profile allows
    sim.scanner.scan("0000000000000")  # decodes, but no such item
    wait_for(lambda: any("0000000000000" in e["message"] for e in rig.kinds("scan.error")), "an unknown code")
    sim.scanner.scan(COLA)
    wait_for(lambda: rig.cart_skus() == ["COLA"], "a good scan after the garbage")


def test_a_scan_without_an_open_sale_is_refused_clearly(rig: LaneRig, sim: Simulator) -> None:
    sim.scanner.scan(COLA)
    error = wait_for(lambda: rig.kinds("scan.error"), "a refused scan")[0]
    assert "no open sale on lane 1" in error["message"]


def test_the_drawer_opens_on_cash_and_on_a_manager_no_sale_only(rig: LaneRig, sim: Simulator) -> None:
    def kicks() -> int:
        return sum(len(job.decoded.drawer_pins) for job in sim.printer.jobs)

    rig.lane.open_sale()
    rig.lane.add(code=COLA)
    rig.lane.pay("card", 300, reference="RRN 1")
    rig.lane.complete()
    wait_for(lambda: sim.printer.receipts(), "the card sale's receipt")
    assert kicks() == 0  # a card sale leaves the drawer shut

    rig.lane.open_sale()
    rig.lane.add(code=COLA)
    rig.lane.pay("cash", 1000)
    rig.lane.complete()
    wait_for(lambda: kicks() == 1, "the drawer kick for cash")
    assert [job.decoded.drawer_pins for job in sim.printer.jobs if job.decoded.drawer_pins] == [[2]]
    screen = wait_for(lambda: sim.display.lines if "7.00" in sim.display.lines[1] else None, "the change on the display")
    assert "找零" in screen[1]

    refused = rig.lane.call("POST", "/lanes/1/shift/no-sale", 403, reason="change for the float")
    assert "manager" in refused["message"]
    rig.lane.call("POST", "/lanes/1/shift/no-sale", 200, reason="change for the float", approval=APPROVAL)
    wait_for(lambda: kicks() == 2, "the drawer kick for the no-sale")
    opened = wait_for(lambda: [e for e in rig.kinds("drawer") if e["opened"]], "drawer events")
    assert [e["reason"] for e in opened] == ["cash sale T001-00000002", "no sale: change for the float"]


def test_an_unknown_model_refuses_to_start_with_file_key_and_reason(tmp_path: Path, sim: Simulator) -> None:
    config = write_lane_store(tmp_path / "store", sim, scanner_model="acme-9000")
    node = build_node(load_settings(config), init=True)
    try:
        with pytest.raises(ConfigError) as refused:
            node.start_devices()
    finally:
        node.close()
    message = str(refused.value)
    assert message.startswith(f"config error: {config}: lanes.0.scanner.model: unknown scanner model 'acme-9000'")
    assert "honeywell-xenon-1950g" in message and "\n" not in message


def test_a_bad_profile_or_lane_refuses_with_file_key_and_reason(tmp_path: Path, sim: Simulator,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "narrow.yaml").write_text(
        "model: narrow\nkind: printer\npaper_width_mm: 58\ncolumns: 48\nescpos_profile: POS-5890\ncode_page: GB18030\n",
        encoding="utf-8")
    config = write_config(tmp_path / "store", extra=f'[devices]\nprofile_dir = "{profiles}"\n'
                          f'[[lanes]]\nid = 1\nprinters = [{{ id = "p", model = "narrow", address = "{sim.printer.address}" }}]\n')
    build_node(load_settings(config), init=True).close()
    assert storenode(["--config", str(config), "devices", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"storenode: config error: {profiles / 'narrow.yaml'}: columns: 48 does not fit 58 mm paper (use 32)"

    config.write_text(config.read_text().replace(f'profile_dir = "{profiles}"', "")
                      .replace("printers = [", "drawer = { pin = 3 }\nprinters = ["), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert f"{config}: lanes.0.drawer.pin" in str(refused.value)


def test_devices_list_and_test_talk_to_the_real_devices(tmp_path: Path, sim: Simulator,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    config = write_lane_store(tmp_path / "store", sim, language="en")
    build_node(load_settings(config), init=True).close()
    sim.scale.put(480)
    assert storenode(["--config", str(config), "devices", "list"]) == 0
    listed = capsys.readouterr().out
    assert "lane 1" in listed and "honeywell-xenon-1950g" in listed and "[receipts, drawer]" in listed
    assert "ok (serial number B123456789)" in listed and "ok (status ok)" in listed

    assert storenode(["--config", str(config), "devices", "test", "1"]) == 0
    tested = capsys.readouterr().out.splitlines()
    assert tested == ["test page on lane1: done", "drawer through lane1: done", "scale: 480 g (stable)"]
    assert "打印机测试" in sim.printer.wait_for_receipts(1)[0].text  # the test page shows both scripts
    kicks = wait_for(lambda: [pins for job in sim.printer.jobs if (pins := job.decoded.drawer_pins)], "the drawer kick")
    assert kicks == [[2]]  # the simulator records a job when its connection ends: wait for it

    sim.printer.go_offline()
    assert storenode(["--config", str(config), "devices", "test", "1", "--page"]) == 1
    assert "FAILED: printer lane1 at tcp://" in capsys.readouterr().out
    assert storenode(["--config", str(config), "devices", "test", "7"]) == 2
    assert "lane 7 is not in the store config" in capsys.readouterr().err


def test_devices_simulate_binds_a_lane_and_writes_what_it_prints(tmp_path: Path) -> None:
    script = ("import sys; from tests.support.lane_devices import storenode; "
              "sys.exit(storenode(['devices', 'simulate', '--dir', sys.argv[1], '--receipts', sys.argv[2]]))")
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "sim"), str(tmp_path / "printed")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=Path(__file__).parents[2])
    try:
        assert process.stdout is not None
        shown = []
        for line in process.stdout:
            shown.append(line)
            if "Ctrl+C stops" in line:
                break
        snippet = "".join(shown)
        assert "[[lanes]]" in snippet, snippet
        config = write_config(tmp_path / "store", extra=snippet)
        with running_lane(config) as rig:
            rig.lane.open_sale()
            rig.lane.add(code=COLA)
            rig.lane.pay("cash", 500)
            rig.lane.complete()
            text = wait_for(lambda: (tmp_path / "printed" / "0001.txt").is_file()
                            and (tmp_path / "printed" / "0001.txt").read_text(encoding="utf-8"), "the receipt's text")
        assert "T001-00000001" in text and "[QR T001-00000001]" in text
        wait_for(lambda: (tmp_path / "printed" / "0001.png").is_file(), "the receipt's picture")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
