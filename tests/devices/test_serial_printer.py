"""A receipt printer on a serial line, over a pseudo-terminal: the bytes python-escpos's Serial
backend sends are read on the pty's master side and decoded back to what the paper says."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.errors import ConnectionStringError, DeviceUnavailable, PrinterFault
from devices.health import HealthState
from devices.printer import ReceiptPrinter
from devices.profiles import ProfileCatalog
from devices.simulator import VirtualSerialPrinter
from pos.receipt import Language
from tests.devices.helpers import sample_receipt, sample_return


@pytest.fixture
def serial_printer(dev_dir: Path) -> Iterator[VirtualSerialPrinter]:
    printer = VirtualSerialPrinter(dev_dir / "usb-Xprinter_XP-58-if00")
    yield printer
    printer.close()


def lane_printer(catalog: ProfileCatalog, port: VirtualSerialPrinter, model: str = "generic-58mm-gb18030",
                 options: str = "") -> ReceiptPrinter:
    return ReceiptPrinter("lane-2", catalog.printer(model), f"serial://{port.path}{options}",
                          timeout_s=3.0, status_timeout_s=1.0)


@pytest.mark.parametrize("language", [Language.ZH, Language.EN])
def test_a_receipt_over_a_serial_line_says_what_was_sold(
    catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter, language: Language
) -> None:
    printer = lane_printer(catalog, serial_printer, options="?baud=19200")
    receipt = sample_receipt(language)
    printer.print_document(receipt)
    dummy = ReceiptPrinter("same-bytes", printer.profile, "dummy://")
    dummy.print_document(receipt)
    assert serial_printer.wait_for_bytes(len(dummy.dummy_output)) == bytes(dummy.dummy_output)
    decoded = serial_printer.decoded
    names = ("富士苹果", "鲜牛奶 1升", "茉莉香米 5公斤") if language is Language.ZH else ("Fuji Apple", "Fresh Milk 1L", "Jasmine Rice 5kg")
    for name in names:
        assert name in decoded.text
    assert any(line.endswith("98.70") for line in decoded.lines)
    assert decoded.qr_codes == ["R-0003-000123"] and decoded.barcodes == ["R-0003-000123"]
    assert all(len(line) <= 32 for line in decoded.lines if line.isascii())
    assert printer.health.state is HealthState.OK


def test_the_status_is_read_over_the_serial_line(catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter) -> None:
    serial_printer.drawer_open = True
    serial_printer.paper_near_end = True
    status = lane_printer(catalog, serial_printer).status()
    assert status.supported and status.fault == "" and status.paper == "near_end" and status.drawer_signal is True


def test_paper_out_on_a_serial_printer_refuses_the_job_before_sending(
    catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter
) -> None:
    serial_printer.paper_out = True
    printer = lane_printer(catalog, serial_printer)
    with pytest.raises(PrinterFault, match="paper out"):
        printer.print_document(sample_return())
    assert printer.health.state is HealthState.FAULT
    assert serial_printer.printed == b""


def test_a_serial_printer_that_never_answers_times_out(catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter) -> None:
    serial_printer.mute = True
    printer = lane_printer(catalog, serial_printer)
    with pytest.raises(DeviceUnavailable, match="timed out"):
        printer.print_test_page()
    assert printer.health.state is HealthState.DISCONNECTED


def test_an_unplugged_serial_printer_is_unavailable_and_prints_once_plugged_back(
    catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter
) -> None:
    printer = lane_printer(catalog, serial_printer)
    serial_printer.unplug()
    with pytest.raises(DeviceUnavailable, match="cannot be reached"):
        printer.print_test_page()
    assert printer.health.state is HealthState.DISCONNECTED
    serial_printer.plug()
    printer.print_test_page()
    assert serial_printer.decoded.qr_codes == ["TEST-0001"] and printer.health.state is HealthState.OK


def test_the_drawer_kicks_over_the_serial_line(catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter) -> None:
    lane_printer(catalog, serial_printer).open_drawer(5)
    serial_printer.wait_for_bytes(5)
    assert serial_printer.decoded.drawer_pins == [5]


def test_an_epson_with_hardware_flow_control_prints_at_its_profile_speed(
    catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter
) -> None:
    printer = lane_printer(catalog, serial_printer, model="epson-tm-t20")  # 38400 baud, RTS/CTS
    printer.print_document(sample_receipt(Language.EN))
    decoded = serial_printer.decoded
    assert "Fuji Apple" in decoded.text and "Spring Fruit Fest" in decoded.text and decoded.cuts == 1


def test_a_nonstandard_baud_rate_is_refused(catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter) -> None:
    with pytest.raises(ConnectionStringError, match="baud 12345"):
        lane_printer(catalog, serial_printer, options="?baud=12345").print_test_page()


def test_a_serial_job_does_not_wait_out_the_timeout_for_the_status_answers(
    catalog: ProfileCatalog, serial_printer: VirtualSerialPrinter
) -> None:
    printer = ReceiptPrinter("lane-2", catalog.printer("generic-58mm-gb18030"), f"serial://{serial_printer.path}",
                             timeout_s=5.0, status_timeout_s=5.0)
    started = time.monotonic()
    printer.print_document(sample_return())  # two status checks: before and after the bytes
    assert time.monotonic() - started < 2.5
    assert "鲜牛奶 1升" in serial_printer.decoded.text
