"""Virtual lane hardware for the demo store and tests: a serial scanner, an MT-SICS scale and a
pole display on pseudo-terminals, and a network receipt printer on a TCP port (a serial one on a
pseudo-terminal, `VirtualSerialPrinter`, is there for the serial printer's tests).

Each serial device sits behind a stable symlink (like `/dev/serial/by-id/...`), so it can be
unplugged (the pty closes, the link vanishes) and plugged back (a new pty, the same link).

    sim = Simulator(tmp_dir).start()
    sim.paths        # {"scanner": ".../scanner", "scale": ".../scale", "display": ".../display"}
    sim.printer.address           # "tcp://127.0.0.1:PORT"
    sim.scanner.scan("6901234567892", aim_id="]E0")
    sim.printer.receipts()[-1].text
    sim.stop()
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from pathlib import Path

from devices.escpos_text import DecodedPrint, decode, split_status_queries
from devices.sim_display import DisplayScreen
from devices.sim_printer import PrintedJob, PrinterPanel, VirtualPrinter, render_png
from pos.money import format_minor

__all__ = ["PrintedJob", "Simulator", "VirtualDisplay", "VirtualPrinter", "VirtualScale",
           "VirtualScanner", "VirtualSerialPort", "VirtualSerialPrinter", "render_png"]


class VirtualSerialPort:
    """A pseudo-terminal behind a stable path that can be unplugged and plugged back."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self._fd_lock = threading.Lock()  # a reader never touches a closed (or reused) fd
        self._master: int | None = None
        self._slave: int | None = None
        self.plug()

    @property
    def path(self) -> str:
        return str(self.link)

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def plug(self) -> None:
        if self._master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation: bytes pass as a serial line does
        tmp = self.link.with_name(self.link.name + ".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self.link)
        self._master, self._slave = master, slave

    def unplug(self) -> None:
        """The cable is pulled: the link vanishes and the driver's open port fails."""
        self.link.unlink(missing_ok=True)
        with self._fd_lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None

    def write(self, data: bytes) -> None:
        if self._master is None:
            raise OSError("the virtual device is unplugged")
        view = memoryview(data)
        while view:
            written = os.write(self._master, view)
            view = view[written:]

    def read(self, timeout_s: float) -> bytes:
        """What the driver sent to the device (b"" after timeout_s)."""
        with self._fd_lock:
            master = self._master
            if master is not None:
                try:
                    ready, _, _ = select.select([master], [], [], timeout_s)
                    return os.read(master, 4096) if ready else b""
                except OSError:
                    return b""  # the driver side closed; nothing to read
        time.sleep(timeout_s)
        return b""

    def close(self) -> None:
        self.unplug()


class VirtualScanner(VirtualSerialPort):
    def scan(self, code: str, aim_id: str = "]E0", suffix: bytes = b"\r") -> None:
        """The scanner reads a code: AIM identifier, data, suffix."""
        self.write(aim_id.encode() + code.encode("utf-8") + suffix)


class _Responder(VirtualSerialPort):
    """A serial device with a thread answering what the driver sends."""

    def __init__(self, link: Path) -> None:
        super().__init__(link)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"sim-{link.name}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            data = self.read(0.1)
            if data:
                self.received(data)

    def received(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        super().close()


class VirtualScale(_Responder):
    """A Mettler Toledo scale speaking MT-SICS: S, SI, Z, ZI, T, TA, TAC, I4, @."""

    def __init__(self, link: Path, capacity_g: int = 15000, increment_g: int = 5) -> None:
        self.capacity_g, self.increment_g = capacity_g, increment_g
        self.gross_g = 0  # what lies on the platter
        self.stable = True
        self.zero_g = 0
        self.tare_g = 0
        self.serial_number = "B123456789"
        self._line = b""
        super().__init__(link)

    def put(self, grams: int, *, stable: bool = True) -> None:
        self.gross_g, self.stable = grams, stable

    def _kg(self, grams: int) -> str:
        return f"{format_minor(grams, 3):>10} kg"

    def _weight(self, stable_only: bool) -> str:
        above_zero = self.gross_g - self.zero_g
        if above_zero > self.capacity_g + 9 * self.increment_g:
            return "S +"
        if above_zero < -20 * self.increment_g:
            return "S -"
        if not self.stable and stable_only:
            return "S I"
        net = above_zero - self.tare_g
        return f"S {'S' if self.stable else 'D'} {self._kg(net)}"

    def answer(self, command: str) -> str:
        if command == "S":
            return self._weight(stable_only=True)
        if command == "SI":
            return self._weight(stable_only=False)
        if command in ("Z", "ZI"):
            if not self.stable and command == "Z":
                return "Z I"
            self.zero_g, self.tare_g = self.gross_g, 0
            return "Z A" if command == "Z" else "ZI S"
        if command == "T":
            if not self.stable:
                return "T I"
            self.tare_g = self.gross_g - self.zero_g
            return f"T S {self._kg(self.tare_g)}"
        if command == "TA":
            return f"TA A {self._kg(self.tare_g)}"
        if command == "TAC":
            self.tare_g = 0
            return "TAC A"
        if command in ("I4", "@"):
            return f'I4 A "{self.serial_number}"'
        return "ES"

    def received(self, data: bytes) -> None:
        self._line += data
        while b"\n" in self._line:
            raw, self._line = self._line.split(b"\n", 1)
            command = raw.decode("ascii", errors="replace").strip()
            if command:
                self.write(self.answer(command).encode() + b"\r\n")


class VirtualDisplay(_Responder):
    """A 2x20 pole display: interprets ESC @, CLR, US $ x y, FS & and shows its screen."""

    def __init__(self, link: Path, columns: int = 20, rows: int = 2) -> None:
        self.screen = DisplayScreen(columns, rows)
        super().__init__(link)

    def received(self, data: bytes) -> None:
        self.screen.feed(data)

    @property
    def lines(self) -> list[str]:
        return self.screen.lines


class VirtualSerialPrinter(_Responder, PrinterPanel):
    """A receipt printer on a serial line: answers DLE EOT as the network one does (`PrinterPanel`)
    and keeps every other byte it was sent (a serial line has no job boundaries)."""

    def __init__(self, link: Path) -> None:
        PrinterPanel.__init__(self)
        self._printed = bytearray()
        self._pending = b""
        self._cond = threading.Condition()
        super().__init__(link)

    def received(self, data: bytes) -> None:
        data, self._pending = self._pending + data, b""
        cut = data.rfind(b"\x10")
        if cut >= max(0, len(data) - 2) and data[cut : cut + 2] in (b"\x10", b"\x10\x04"):
            data, self._pending = data[:cut], data[cut:]  # a status query split across reads
        rest, queries = split_status_queries(data)
        with self._cond:
            self._printed += rest
            self._cond.notify_all()
        if queries and not self.mute:
            self.write(bytes(self.status_byte(n) for n in queries))

    @property
    def printed(self) -> bytes:
        with self._cond:
            return bytes(self._printed)

    @property
    def decoded(self) -> DecodedPrint:
        return decode(self.printed)

    def wait_for_bytes(self, count: int, timeout_s: float = 10.0) -> bytes:
        """Block until at least `count` bytes (status queries left out) arrived; TimeoutError says how many did."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self._printed) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the serial printer received {len(self._printed)} of {count} bytes")
                self._cond.wait(left)
            return bytes(self._printed)


class Simulator:
    """Scanner, scale and display on ptys under `directory`, and a printer on a free TCP port."""

    def __init__(self, directory: Path, printer_port: int = 0) -> None:
        self.directory = Path(directory)
        self._printer_port = printer_port
        self.scanner: VirtualScanner
        self.scale: VirtualScale
        self.display: VirtualDisplay
        self.printer: VirtualPrinter

    def start(self) -> Simulator:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.scanner = VirtualScanner(self.directory / "scanner")
        self.scale = VirtualScale(self.directory / "scale")
        self.display = VirtualDisplay(self.directory / "display")
        self.printer = VirtualPrinter(port=self._printer_port).start()
        return self

    @property
    def paths(self) -> dict[str, str]:
        return {"scanner": self.scanner.path, "scale": self.scale.path, "display": self.display.path}

    def stop(self) -> None:
        for device in (self.scanner, self.scale, self.display):
            device.close()
        self.printer.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
