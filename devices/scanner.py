"""Barcode scanners on a serial port (pyserial) or a TCP socket, read in a worker thread.

A scanner delivers each `Scan` to a callback on its worker thread. It reconnects by itself:
when the configured path (e.g. `/dev/serial/by-id/usb-Honeywell...`) vanishes on unplug, the
scanner reports `disconnected` and opens it again when it returns. Bad input is reported
through health (`fault` with the reason) and the next good scan sets it back to `ok`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

import serial

from devices.errors import ConnectionStringError
from devices.health import DeviceHealth, HealthListener, HealthState, HealthTracker
from devices.profiles import ScannerProfile, SerialSettings
from devices.scanner_lines import Decoded, LineSplitter, Outcome, Rejected

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Scan:
    code: str
    symbology: str  # "EAN-13", "GS1-128", "QR Code", "unknown", or "" without AIM ids
    at: datetime
    source: str  # the scanner's device id
    aim_id: str = ""  # the identifier as sent, e.g. "]E0"


ScanListener = Callable[[Scan], None]


class Transport(Protocol):
    description: str

    def open(self) -> None: ...
    def read(self, timeout_s: float) -> bytes: ...  # b"" on timeout; raises when the link is gone
    def close(self) -> None: ...
    def present(self) -> bool: ...  # the device path exists (always True for sockets)


class SerialTransport:
    def __init__(self, port: str, settings: SerialSettings) -> None:
        self.port, self.settings = port, settings
        self.description = port
        self._serial: serial.Serial | None = None

    def open(self) -> None:
        s = self.settings
        self._serial = serial.Serial(
            port=self.port, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
            stopbits=s.stopbits, rtscts=s.rtscts, xonxoff=s.xonxoff, timeout=0.1,
        )

    def read(self, timeout_s: float) -> bytes:
        port = self._serial
        if port is None:
            raise serial.SerialException("port is closed")
        port.timeout = timeout_s
        data: bytes = port.read(max(1, port.in_waiting))
        return data

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(OSError, termios.error, serial.SerialException):  # gone
                port.close()

    def present(self) -> bool:
        return os.path.exists(self.port)


class TcpTransport:
    """A scanner (or serial-to-Ethernet bridge) that serves its lines on a TCP port."""

    def __init__(self, host: str, port: int, connect_timeout_s: float = 3.0) -> None:
        self.host, self.port, self.connect_timeout_s = host, port, connect_timeout_s
        self.description = f"tcp://{host}:{port}"
        self._sock: socket.socket | None = None

    def open(self) -> None:
        self._sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)

    def read(self, timeout_s: float) -> bytes:
        sock = self._sock
        if sock is None:
            raise ConnectionError("not connected")
        sock.settimeout(timeout_s)
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return b""
        if not data:
            raise ConnectionError("the scanner closed the connection")
        return data

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def present(self) -> bool:
        return True


class Scanner:
    """One scanner: `start()`, scans arrive at `on_scan(Scan)`, `health`, `stop()`."""

    def __init__(
        self,
        device_id: str,
        transport: Transport,
        on_scan: ScanListener,
        *,
        suffix: bytes = b"\r",
        aim_ids: bool = False,
        max_length: int = 2048,
        on_health: HealthListener | None = None,
        read_timeout_s: float = 0.2,
        stale_after_s: float = 1.0,
        retry_max_s: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.device_id = device_id
        self.transport = transport
        self.on_scan = on_scan
        self._splitter = LineSplitter(suffix, aim_ids, max_length, stale_after_s)
        self._health = HealthTracker(device_id, "scanner", on_health)
        self.read_timeout_s = read_timeout_s
        self.retry_max_s = retry_max_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.scans_delivered = 0

    @classmethod
    def from_profile(
        cls, device_id: str, profile: ScannerProfile, address: str, on_scan: ScanListener, *,
        on_health: HealthListener | None = None, stale_after_s: float = 1.0,
    ) -> Scanner:
        """A scanner at `/dev/...`, `serial:///dev/...` or `tcp://host:port` speaking `profile`."""
        parts = urlsplit(address)
        transport: Transport
        if parts.scheme == "tcp":
            if not parts.hostname or not parts.port:
                raise ConnectionStringError(f"scanner address {address!r}: use tcp://host:port")
            transport = TcpTransport(parts.hostname, parts.port)
        elif parts.scheme in ("", "serial") and parts.path:
            transport = SerialTransport(parts.path, profile.serial)
        else:
            raise ConnectionStringError(
                f"scanner address {address!r}: use /dev/serial/by-id/..., serial:///dev/ttyUSB0 "
                "or tcp://host:port"
            )
        return cls(device_id, transport, on_scan, suffix=profile.suffix, aim_ids=profile.aim_ids,
                   max_length=profile.max_length, on_health=on_health, stale_after_s=stale_after_s)

    @property
    def health(self) -> DeviceHealth:
        return self._health.current

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"scanner-{self.device_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)
        self.transport.close()
        self._health.set(HealthState.DISCONNECTED, "stopped")

    def __enter__(self) -> Scanner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        connected, ever_connected, backoff = False, False, 0.1
        where = self.transport.description
        while not self._stop.is_set():
            if not connected:
                if not self.transport.present():
                    self._health.set(HealthState.DISCONNECTED, f"scanner {self.device_id}: {where} is not plugged in")
                    self._stop.wait(0.1)
                    continue
                try:
                    self.transport.open()
                except Exception as err:  # pyserial and sockets raise many kinds; all mean "not yet"
                    self._health.set(HealthState.DISCONNECTED, f"scanner {self.device_id}: cannot open {where}: {err}")
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.retry_max_s)
                    continue
                connected, backoff = True, 0.1
                self._health.set(HealthState.OK, reconnected=ever_connected)
                ever_connected = True
            try:
                data = self.transport.read(self.read_timeout_s)
            except Exception as err:
                connected = self._lost(f"scanner {self.device_id} at {where} went away: {err}")
                continue
            now = time.monotonic()
            self._handle(self._splitter.feed(data, now) if data else self._splitter.expire(now))
            if not data and not self.transport.present():
                connected = self._lost(f"scanner {self.device_id}: {where} was unplugged")
        self.transport.close()

    def _lost(self, message: str) -> bool:
        self.transport.close()
        for dropped in self._splitter.reset():  # a scan cut off by the unplug
            if isinstance(dropped, Rejected):
                log.warning("scanner %s: %s", self.device_id, dropped.reason)
                message += f"; {dropped.reason}"
        if not self._stop.is_set():
            self._health.set(HealthState.DISCONNECTED, message)
        return False

    def _handle(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if not isinstance(outcome, Decoded):
                log.warning("scanner %s: %s", self.device_id, outcome.reason)
                if self._health.current.state is not HealthState.DISCONNECTED:
                    self._health.set(HealthState.FAULT, f"scanner {self.device_id}: {outcome.reason}")
                else:
                    self._health.note(f"scanner {self.device_id}: {outcome.reason}")
                continue
            if outcome.warning:
                log.warning("scanner %s: %s", self.device_id, outcome.warning)
                self._health.set(HealthState.OK, f"scanner {self.device_id}: {outcome.warning}")
            else:
                self._health.set(HealthState.OK)
            scan = Scan(outcome.code, outcome.symbology, self._clock(), self.device_id, outcome.aim_id)
            self.scans_delivered += 1
            try:
                self.on_scan(scan)
            except Exception:  # the lane's bug must not stop the scanner
                log.exception("scanner %s: the scan handler failed for %r", self.device_id, scan.code)
