"""Receipt printers through python-escpos backends, with real-time status and the cash drawer.

An address says how to reach a printer:
  tcp://192.168.1.50:9100            raw TCP (JetDirect), the usual network printer
  serial:///dev/ttyUSB0?baud=19200   RS-232 / USB-serial; settings default to the profile's
  usb://04b8:0202                    USB printer class via pyusb (`usb://` takes the profile's ids)
  file:///dev/usb/lp0                a character device (or any file)
  dummy://                           keeps the bytes in memory (tests, demo)
Each job opens the connection, checks the status (DLE EOT, where the model answers it), sends,
checks again (a printer that hung up or ran out of paper mid-job is caught) and closes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devices.errors import ConnectionStringError, DeviceError, DeviceUnavailable, PrinterFault
from devices.health import DeviceHealth, HealthListener, HealthState, HealthTracker
from devices.paper import drawer_kick_bytes
from devices.profiles import BAUD_RATES, PrinterProfile
from devices.receipt_layout import render, render_test_page
from pos.receipt import Document

STATUS_QUERIES = b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"  # DLE EOT 1..4
SCHEMES = ("tcp", "serial", "usb", "file", "dummy")


@dataclass(frozen=True, slots=True)
class PrinterAddress:
    scheme: str
    host: str = ""
    port: int = 9100
    path: str = ""
    vendor_id: int | None = None
    product_id: int | None = None
    options: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.scheme == "tcp":
            return f"tcp://{self.host}:{self.port}"
        if self.scheme == "usb":
            ids = f"{self.vendor_id or 0:04x}:{self.product_id or 0:04x}" if self.vendor_id else ""
            return f"usb://{ids}"
        return f"{self.scheme}://{self.path}"


def parse_printer_address(text: str) -> PrinterAddress:
    """Parse `tcp://host:9100`, `serial:///dev/ttyUSB0?baud=19200`, `usb://04b8:0202`, ..."""
    parts = urlsplit(text)
    options = dict(parse_qsl(parts.query))
    if parts.scheme not in SCHEMES:
        raise ConnectionStringError(
            f"printer address {text!r}: scheme must be one of {', '.join(SCHEMES)} (e.g. tcp://host:9100)"
        )
    if parts.scheme == "tcp":
        try:
            port = parts.port or 9100
        except ValueError as err:
            raise ConnectionStringError(f"printer address {text!r}: bad port") from err
        if not parts.hostname:
            raise ConnectionStringError(f"printer address {text!r}: no host")
        return PrinterAddress("tcp", host=parts.hostname, port=port, options=options)
    if parts.scheme == "usb":
        ids = parts.netloc
        if not ids:
            return PrinterAddress("usb", options=options)
        try:
            vendor, product = (int(part, 16) for part in ids.split(":"))
        except ValueError as err:
            raise ConnectionStringError(
                f"printer address {text!r}: USB ids must be vendor:product in hex, e.g. usb://04b8:0202"
            ) from err
        return PrinterAddress("usb", vendor_id=vendor, product_id=product, options=options)
    if parts.scheme in ("serial", "file") and not parts.path:
        raise ConnectionStringError(f"printer address {text!r}: no device path (serial:///dev/ttyUSB0)")
    return PrinterAddress(parts.scheme, path=parts.path, options=options)


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What DLE EOT 1-4 said; `supported` is False when the model or backend cannot answer."""

    supported: bool
    online: bool = True
    cover_open: bool = False
    paper: str = "ok"  # ok, near_end, out
    error: str = ""  # cutter jam, unrecoverable error
    drawer_signal: bool | None = None  # drawer connector pin 3 high

    @property
    def fault(self) -> str:
        """Why the printer cannot print now, in words for the lane; empty when it can."""
        if self.paper == "out":
            return "paper out: load a new roll"
        if self.cover_open:
            return "cover open: close the printer cover"
        if self.error:
            return self.error
        if not self.online:
            return "printer offline"
        return ""


def parse_status(reply: bytes) -> PrinterStatus:
    """Decode the four one-byte answers to DLE EOT 1, 2, 3, 4."""
    if len(reply) != 4 or any(b & 0x93 != 0x12 for b in reply):
        raise DeviceUnavailable(f"printer sent a garbled status {reply.hex()}")
    printer, offline, error, paper = reply
    error_text = ""
    if error & 0x08:
        error_text = "cutter error: clear the paper jam"
    elif error & 0x20:
        error_text = "unrecoverable printer error: switch the printer off and on"
    elif error & 0x40:
        error_text = "printer error (head temperature or voltage): wait a moment"
    return PrinterStatus(
        supported=True,
        online=not printer & 0x08,
        cover_open=bool(offline & 0x04),
        paper="out" if paper & 0x60 or offline & 0x20 else "near_end" if paper & 0x0C else "ok",
        error=error_text,
        drawer_signal=bool(printer & 0x04),
    )


def _open_backend(profile: PrinterProfile, address: PrinterAddress, timeout_s: float) -> Any:
    from escpos import printer as backends  # heavy import kept out of module import time

    opts = address.options
    caps = profile.escpos_profile
    if address.scheme == "tcp":
        backend = backends.Network(address.host, address.port, timeout=timeout_s, profile=caps)
    elif address.scheme == "serial":
        serial = profile.serial
        baud = int(opts.get("baud", serial.baudrate))
        if baud not in BAUD_RATES:
            raise ConnectionStringError(f"printer {address}: baud {baud} is not a standard rate")
        backend = backends.Serial(
            address.path, baudrate=baud, bytesize=int(opts.get("bytesize", serial.bytesize)),
            timeout=timeout_s, parity=opts.get("parity", serial.parity),
            stopbits=int(opts.get("stopbits", serial.stopbits)), xonxoff=serial.xonxoff,
            dsrdtr=False, profile=caps,
        )
    elif address.scheme == "usb":
        vendor = address.vendor_id or profile.usb_vendor_id
        product = address.product_id or profile.usb_product_id
        if vendor is None or product is None:
            raise ConnectionStringError(f"printer {address}: no USB ids here or in the profile")
        backend = backends.Usb(vendor, product, timeout=int(timeout_s * 1000), profile=caps)
    elif address.scheme == "file":
        backend = backends.File(address.path, profile=caps)
    else:
        return backends.Dummy(profile=caps)
    backend.open()
    if address.scheme == "serial" and profile.serial.rtscts:
        backend.device.rtscts = True
    return backend


class ReceiptPrinter:
    """One printer of a lane: `send(bytes)`, `print_document(doc)`, `open_drawer()`, `status()`."""

    def __init__(
        self,
        printer_id: str,
        profile: PrinterProfile,
        address: str | PrinterAddress,
        *,
        timeout_s: float = 10.0,
        status_timeout_s: float = 2.0,
        on_health: HealthListener | None = None,
    ) -> None:
        self.printer_id = printer_id
        self.profile = profile
        self.address = address if isinstance(address, PrinterAddress) else parse_printer_address(address)
        self.timeout_s = timeout_s
        self.status_timeout_s = status_timeout_s
        self._health = HealthTracker(printer_id, "printer", on_health)
        self._lock = threading.Lock()
        self.dummy_output = bytearray()  # what a dummy:// printer was sent

    @property
    def health(self) -> DeviceHealth:
        return self._health.current

    @property
    def answers_status(self) -> bool:
        return self.profile.realtime_status and self.address.scheme in ("tcp", "serial", "usb")

    def _connect(self) -> Any:
        try:
            return _open_backend(self.profile, self.address, self.timeout_s)
        except DeviceError as err:
            self._health.set(HealthState.FAULT, err.message)
            raise
        except Exception as err:  # python-escpos wraps socket/serial/usb errors its own way
            message = f"printer {self.printer_id} at {self.address} cannot be reached: {_why(err)}"
            self._health.set(HealthState.DISCONNECTED, message)
            raise DeviceUnavailable(message) from err

    def _query(self, backend: Any) -> PrinterStatus:
        _set_timeout(backend.device, self.status_timeout_s)
        backend._raw(STATUS_QUERIES)
        reply = b""
        deadline = time.monotonic() + self.status_timeout_s
        while len(reply) < 4:
            if time.monotonic() > deadline:
                raise TimeoutError("no status answer")
            chunk = self._read_status(backend, 4 - len(reply))
            if not chunk and self.address.scheme == "tcp":
                raise ConnectionResetError("the printer closed the connection")
            reply += chunk
        _set_timeout(backend.device, self.timeout_s)
        return parse_status(reply[-4:])

    def _read_status(self, backend: Any, wanted: int) -> bytes:
        if self.address.scheme == "serial":  # python-escpos asks for 16 bytes: a serial read would wait out its timeout
            return bytes(backend.device.read(wanted))
        return bytes(backend._read())

    def _checked(self, backend: Any, when: str) -> PrinterStatus:
        status = self._query(backend)
        if status.fault:
            message = f"printer {self.printer_id}: {status.fault}"
            if when == "after":
                message += " (the last receipt may be incomplete)"
            self._health.set(HealthState.FAULT, message)
            raise PrinterFault(message)
        return status

    def _run(self, data: bytes, what: str) -> PrinterStatus:
        with self._lock:
            backend = self._connect()
            status = PrinterStatus(supported=False)
            try:
                if self.answers_status:
                    self._checked(backend, "before")
                backend._raw(data)
                if self.answers_status:
                    status = self._checked(backend, "after")
                if self.address.scheme == "dummy":
                    self.dummy_output += data
            except PrinterFault:
                raise
            except DeviceError as err:
                self._health.set(HealthState.DISCONNECTED, err.message)
                raise
            except Exception as err:
                message = f"printer {self.printer_id} at {self.address} failed during {what}: {_why(err)}"
                self._health.set(HealthState.DISCONNECTED, message)
                raise DeviceUnavailable(message) from err
            finally:
                _close_quietly(backend)
            self._health.set(HealthState.OK)
            return status

    def send(self, data: bytes) -> None:
        """Send a job's bytes; returns only when the printer took them (status checked if possible)."""
        self._run(data, "printing")

    def print_document(self, doc: Document, *, reprint: bool = False) -> None:
        self.send(render(doc, self.profile, reprint=reprint))

    def print_test_page(self) -> None:
        self.send(render_test_page(self.profile))

    def open_drawer(self, pin: int | None = None) -> None:
        """Fire the drawer kick (pin 2 or 5, default from the profile)."""
        self._run(drawer_kick_bytes(self.profile, pin), "the drawer kick")

    def status(self) -> PrinterStatus:
        """Ask the printer now; `supported=False` when this model or connection cannot answer."""
        if not self.answers_status:
            return PrinterStatus(supported=False)
        with self._lock:
            backend = self._connect()
            try:
                status = self._query(backend)
            except Exception as err:
                message = f"printer {self.printer_id} at {self.address} does not answer: {_why(err)}"
                self._health.set(HealthState.DISCONNECTED, message)
                raise DeviceUnavailable(message) from err
            finally:
                _close_quietly(backend)
        if status.fault:
            self._health.set(HealthState.FAULT, f"printer {self.printer_id}: {status.fault}")
        else:
            self._health.set(HealthState.OK)
        return status


def _set_timeout(device: Any, seconds: float) -> None:
    if hasattr(device, "settimeout"):  # a socket
        device.settimeout(seconds)
    elif hasattr(device, "timeout"):  # a pyserial port
        device.timeout = seconds


_USB_HINTS = {  # python-escpos's and pyusb's words, by error class, turned into what to do
    "NoBackendError": "pyusb finds no libusb: install libusb-1.0-0 (the container image has it)",
    "DeviceNotFoundError": "no such USB device is plugged in (`lsusb` lists them; a container needs "
                           "--device /dev/bus/usb/BUS/DEV)",
}


def _why(err: BaseException) -> str:
    hint = _USB_HINTS.get(type(err).__name__)
    if hint is not None:
        return hint
    text = str(err).strip().replace("\n", " ") or type(err).__name__
    if isinstance(err, TimeoutError):
        return f"timed out ({text})"
    return text


def _close_quietly(backend: Any) -> None:
    try:
        backend.close()
    except Exception:  # closing a dead socket or unplugged port may fail; nothing to do
        return
