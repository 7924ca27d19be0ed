"""Scanners over a pseudo-terminal and a TCP socket: codes, symbologies, bad input, hot-plug."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.errors import ConnectionStringError
from devices.health import DeviceHealth, HealthState
from devices.profiles import ProfileCatalog
from devices.scanner import Scan, Scanner
from devices.scanner_lines import Decoded, LineSplitter, Rejected, decode_line
from devices.simulator import VirtualScanner
from tests.devices.helpers import wait_until


class Lane:
    """What the node would do with a scanner: collect scans and health changes."""

    def __init__(self) -> None:
        self.scans: list[Scan] = []
        self.health: list[DeviceHealth] = []

    def codes(self) -> list[str]:
        return [scan.code for scan in self.scans]


@pytest.fixture
def virtual(dev_dir: Path) -> Iterator[VirtualScanner]:
    scanner = VirtualScanner(dev_dir / "usb-Honeywell_1950g-if00")
    yield scanner
    scanner.close()


@pytest.fixture
def lane() -> Lane:
    return Lane()


@pytest.fixture
def scanner(catalog: ProfileCatalog, virtual: VirtualScanner, lane: Lane) -> Iterator[Scanner]:
    device = Scanner.from_profile("lane-3-scanner", catalog.scanner("honeywell-xenon-1950g"), virtual.path,
                                  lane.scans.append, on_health=lane.health.append, stale_after_s=0.5)
    device.start()
    wait_until(lambda: device.health.state is HealthState.OK, what="the scanner to open its port")
    yield device
    device.stop()


def test_a_scan_arrives_with_its_symbology_identified_and_stripped(
    scanner: Scanner, virtual: VirtualScanner, lane: Lane
) -> None:
    virtual.scan("6901234567892", aim_id="]E0")
    virtual.scan("(01)09501101020917", aim_id="]C1")
    virtual.scan("https://shop.example/r/R-1", aim_id="]Q1")
    wait_until(lambda: len(lane.scans) == 3, what="three scans")
    assert [(s.code, s.symbology, s.aim_id) for s in lane.scans] == [
        ("6901234567892", "EAN-13", "]E0"),
        ("(01)09501101020917", "GS1-128", "]C1"),
        ("https://shop.example/r/R-1", "QR Code", "]Q1"),
    ]
    assert all(s.source == "lane-3-scanner" and s.at.tzinfo is not None for s in lane.scans)


def test_garbage_half_lines_and_a_10000_character_line_are_reported_not_fatal(
    scanner: Scanner, virtual: VirtualScanner, lane: Lane
) -> None:
    virtual.write(b"\xff\xfe\x00\x81garbage\r")
    wait_until(lambda: scanner.health.state is HealthState.FAULT, what="garbage to be reported")
    assert "unreadable bytes" in scanner.health.last_error
    virtual.write(b"]E069012")  # a half line: the rest never comes
    wait_until(lambda: "incomplete scan" in scanner.health.last_error, what="the half line to expire")
    virtual.write(b"]C1" + b"9" * 10_000 + b"\r")
    wait_until(lambda: "longer than 2048" in scanner.health.last_error, what="the long line to be refused")
    virtual.scan("6901234567892")
    wait_until(lambda: lane.codes() == ["6901234567892"], what="the next good scan")
    assert scanner.health.state is HealthState.OK


def test_an_unknown_symbology_is_delivered_and_reported(scanner: Scanner, virtual: VirtualScanner, lane: Lane) -> None:
    virtual.scan("ABC-123", aim_id="]Y9")
    wait_until(lambda: lane.scans, what="the scan")
    assert (lane.scans[0].code, lane.scans[0].symbology) == ("ABC-123", "unknown")
    assert "unknown symbology identifier ']Y9'" in scanner.health.last_error


def test_unplug_and_replug_reconnects_by_itself(
    scanner: Scanner, virtual: VirtualScanner, lane: Lane
) -> None:
    virtual.scan("1111111111116")
    wait_until(lambda: lane.codes() == ["1111111111116"], what="the first scan")
    virtual.write(b"]E0222")  # unplugged mid-read
    virtual.unplug()
    wait_until(lambda: scanner.health.state is HealthState.DISCONNECTED, what="the unplug to be seen")
    assert not Path(virtual.path).exists()
    virtual.plug()  # a new pty behind the same by-id path
    wait_until(lambda: scanner.health.state is HealthState.OK and scanner.health.reconnects == 1,
               what="the scanner to reconnect")
    virtual.scan("3333333333338")
    wait_until(lambda: lane.codes() == ["1111111111116", "3333333333338"], what="the scan after replug")
    states = [h.state for h in lane.health]
    assert HealthState.FAULT not in states and states[-1] is HealthState.OK
    assert states.count(HealthState.OK) == 2  # up, (unplugged), up again


def test_a_scan_handler_that_raises_does_not_stop_the_scanner(
    catalog: ProfileCatalog, virtual: VirtualScanner
) -> None:
    seen: list[str] = []

    def handler(scan: Scan) -> None:
        seen.append(scan.code)
        raise RuntimeError("the lane's bug")

    with Scanner.from_profile("s", catalog.scanner("honeywell-xenon-1950g"), virtual.path, handler) as device:
        wait_until(lambda: device.health.state is HealthState.OK, what="open")
        virtual.scan("1")
        virtual.scan("2")
        wait_until(lambda: seen == ["1", "2"], what="both scans")


def test_a_tcp_scanner_reads_lines_and_reconnects(catalog: ProfileCatalog, lane: Lane) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: [accepted.append(server.accept()[0]) for _ in range(2)], daemon=True).start()
    device = Scanner.from_profile("tcp-scanner", catalog.scanner("zebra-ds2208"), f"tcp://127.0.0.1:{port}",
                                  lane.scans.append)
    with device:
        wait_until(lambda: len(accepted) == 1, what="the connection")
        accepted[0].sendall(b"]E06901234567892\r\n]d2\x1d0109501101020917\r\n")
        wait_until(lambda: len(lane.scans) == 2, what="two scans")
        accepted[0].close()  # the bridge restarts
        wait_until(lambda: len(accepted) == 2, what="the reconnect")
        accepted[1].sendall(b"]E04006381333931\r\n")
        wait_until(lambda: len(lane.scans) == 3, what="the scan after reconnect")
    server.close()
    assert [s.symbology for s in lane.scans] == ["EAN-13", "GS1 DataMatrix", "EAN-13"]
    assert lane.scans[1].code == "\x1d0109501101020917"  # FNC1 kept for the GS1 parser


def test_bad_scanner_addresses_are_refused(catalog: ProfileCatalog) -> None:
    with pytest.raises(ConnectionStringError, match="tcp://host:port"):
        Scanner.from_profile("s", catalog.scanner("zebra-ds2208"), "tcp://nohost", print)


def test_the_line_splitter_on_its_own() -> None:
    splitter = LineSplitter(b"\t", aim_ids=False, max_length=16)
    assert splitter.feed(b"12345\t678", now=0.0) == [Decoded("12345", "")]
    assert splitter.feed(b"90\r\n", now=0.1) == [Decoded("67890", "")]
    assert splitter.feed(b"abc", now=0.2) == []
    assert splitter.expire(now=5.0) == [Rejected("an incomplete scan was discarded: b'abc'")]
    assert decode_line(b"]E0", aim_ids=True) == Rejected("an empty scan")
    assert decode_line("]X0 keyboard wedge", aim_ids=True) == Decoded(" keyboard wedge", "Other", "]X0")
