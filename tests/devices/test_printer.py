"""A network printer's status (DLE EOT), faults, hang-ups and the cash drawer."""

from __future__ import annotations

import pytest

from devices.errors import ConnectionStringError, DeviceUnavailable, PrinterFault
from devices.health import HealthState
from devices.printer import PrinterAddress, ReceiptPrinter, parse_printer_address, parse_status
from devices.profiles import ProfileCatalog
from devices.receipt_layout import render_test_page
from devices.sim_printer import VirtualPrinter
from tests.devices.helpers import sample_receipt


@pytest.fixture
def lane_printer(catalog: ProfileCatalog, tcp_printer: VirtualPrinter) -> ReceiptPrinter:
    return ReceiptPrinter("lane-3", catalog.printer("epson-tm-t20"), tcp_printer.address,
                          timeout_s=5.0, status_timeout_s=1.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp://10.0.0.7", PrinterAddress("tcp", host="10.0.0.7", port=9100)),
        ("tcp://printer.lan:9101", PrinterAddress("tcp", host="printer.lan", port=9101)),
        ("serial:///dev/ttyUSB0?baud=19200", PrinterAddress("serial", path="/dev/ttyUSB0", options={"baud": "19200"})),
        ("usb://04b8:0202", PrinterAddress("usb", vendor_id=0x04B8, product_id=0x0202)),
        ("usb://", PrinterAddress("usb")),
        ("file:///dev/usb/lp0", PrinterAddress("file", path="/dev/usb/lp0")),
    ],
)
def test_printer_addresses(text: str, expected: PrinterAddress) -> None:
    assert parse_printer_address(text) == expected


@pytest.mark.parametrize("text", ["lpt://1", "tcp://:9100", "usb://epson", "serial://", "tcp://h:99999"])
def test_bad_printer_addresses_are_refused(text: str) -> None:
    with pytest.raises(ConnectionStringError, match="printer address"):
        parse_printer_address(text)


def test_status_bits_decode_to_faults_a_cashier_can_fix() -> None:
    assert parse_status(bytes([0x16, 0x12, 0x12, 0x12])).fault == ""
    assert parse_status(bytes([0x1E, 0x32, 0x12, 0x72])).fault == "paper out: load a new roll"
    assert parse_status(bytes([0x1E, 0x16, 0x12, 0x12])).fault == "cover open: close the printer cover"
    assert parse_status(bytes([0x12, 0x12, 0x12, 0x1E])).paper == "near_end"
    assert "cutter" in parse_status(bytes([0x1E, 0x52, 0x1A, 0x12])).fault
    with pytest.raises(DeviceUnavailable, match="garbled"):
        parse_status(b"\x00\x00\x00\x00")


def test_a_healthy_printer_reports_ok_and_the_drawer_signal(
    lane_printer: ReceiptPrinter, tcp_printer: VirtualPrinter
) -> None:
    tcp_printer.drawer_open = True
    status = lane_printer.status()
    assert status.supported and status.fault == "" and status.drawer_signal is True
    assert lane_printer.health.state is HealthState.OK


@pytest.mark.parametrize(("flag", "reason"), [("paper_out", "paper out"), ("cover_open", "cover open")])
def test_paper_out_or_cover_open_refuses_the_job_before_sending(
    lane_printer: ReceiptPrinter, tcp_printer: VirtualPrinter, flag: str, reason: str
) -> None:
    setattr(tcp_printer, flag, True)
    with pytest.raises(PrinterFault, match=reason):
        lane_printer.print_document(sample_receipt())
    assert lane_printer.health.state is HealthState.FAULT
    assert reason in lane_printer.health.last_error
    assert tcp_printer.jobs == []  # nothing was sent to a printer that cannot print


def test_an_offline_printer_is_unavailable(lane_printer: ReceiptPrinter, tcp_printer: VirtualPrinter) -> None:
    tcp_printer.go_offline()
    with pytest.raises(DeviceUnavailable, match="cannot be reached"):
        lane_printer.print_test_page()
    assert lane_printer.health.state is HealthState.DISCONNECTED
    tcp_printer.go_online()
    lane_printer.print_test_page()
    assert lane_printer.health.state is HealthState.OK
    assert "PRINTER TEST" in tcp_printer.wait_for_jobs(1)[0].text


def test_a_printer_that_never_answers_times_out(lane_printer: ReceiptPrinter, tcp_printer: VirtualPrinter) -> None:
    tcp_printer.mute = True
    with pytest.raises(DeviceUnavailable, match="timed out"):
        lane_printer.send(render_test_page(lane_printer.profile))
    assert lane_printer.health.state is HealthState.DISCONNECTED


def test_a_printer_that_hangs_up_mid_job_fails_the_job(
    lane_printer: ReceiptPrinter, tcp_printer: VirtualPrinter
) -> None:
    tcp_printer.hang_up_after(200)
    with pytest.raises(DeviceUnavailable, match="failed during printing"):
        lane_printer.print_document(sample_receipt())
    (partial,) = tcp_printer.wait_for_jobs(1, complete_only=False)
    assert not partial.complete and len(partial.raw) == 200


@pytest.mark.parametrize("pin", [2, 5])
def test_the_drawer_kicks_on_the_profile_pin_or_the_one_asked(
    catalog: ProfileCatalog, tcp_printer: VirtualPrinter, pin: int
) -> None:
    printer = ReceiptPrinter("lane-1", catalog.printer("generic-58mm-gb18030"), tcp_printer.address)
    printer.open_drawer(None if pin == 2 else pin)
    (job,) = tcp_printer.wait_for_jobs(1)
    assert job.decoded.drawer_pins == [pin]
    assert job.raw.endswith(bytes([27, 112, 0 if pin == 2 else 1, 60, 120]))


def test_file_and_dummy_backends_take_the_bytes(catalog: ProfileCatalog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    profile = catalog.printer("epson-tm-t88")
    out = tmp_path / "lp0"
    out.touch()
    ReceiptPrinter("f", profile, f"file://{out}").print_document(sample_receipt())
    dummy = ReceiptPrinter("d", profile, "dummy://")
    dummy.print_document(sample_receipt())
    assert out.read_bytes() == bytes(dummy.dummy_output)
    assert b"R-0003-000123" in out.read_bytes()


def test_a_usb_printer_that_cannot_be_opened_says_what_to_do(catalog: ProfileCatalog) -> None:
    """No USB printer is attached where the tests run: python-escpos's Usb backend looks for the
    profile's ids through pyusb and finds no libusb or no device; the lane is told which."""
    printer = ReceiptPrinter("lane-4", catalog.printer("epson-tm-t20"), "usb://", timeout_s=1.0)
    with pytest.raises(DeviceUnavailable, match=r"at usb:// cannot be reached: (pyusb finds no libusb|no such USB device)"):
        printer.print_test_page()
    assert printer.health.state is HealthState.DISCONNECTED
