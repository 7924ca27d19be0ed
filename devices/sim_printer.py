"""A simulated network receipt printer: a TCP server (raw port 9100 style) that answers DLE EOT
like an Epson, records each job's bytes and decodes them to text, and can render a job to PNG.

Faults for tests and demos: `paper_out`, `cover_open`, `go_offline()` (connection refused),
`mute` (accepts but never answers), `hang_up_after(n)` (drops the next job after n bytes).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.escpos_text import DecodedPrint, decode
from devices.textwidth import char_width


@dataclass(frozen=True)
class PrintedJob:
    raw: bytes  # the job's bytes without the status queries
    complete: bool  # the sender closed the connection itself (not cut off by a hang-up)
    at: float = field(default_factory=time.time)

    @property
    def decoded(self) -> DecodedPrint:
        return decode(self.raw)

    @property
    def text(self) -> str:
        return self.decoded.text


class PrinterPanel:
    """What a simulated printer's status answers say: paper, cover, drawer; `mute` answers nothing."""

    def __init__(self) -> None:
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self.drawer_open = False
        self.mute = False

    def status_byte(self, n: int) -> int:
        """The answer to DLE EOT n, with Epson's bits."""
        stopped = self.paper_out or self.cover_open
        if n == 1:
            return 0x12 | (0x08 if stopped else 0) | (0x04 if self.drawer_open else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        if n == 4:
            return 0x12 | (0x60 if self.paper_out else 0) | (0x0C if self.paper_near_end else 0)
        return 0x12


class VirtualPrinter(PrinterPanel):
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__()
        self.host, self._port = host, port
        self._hang_up_after: int | None = None
        self._jobs: list[PrintedJob] = []
        self._cond = threading.Condition()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._accepting: threading.Thread | None = None
        self._stopping = threading.Event()

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> VirtualPrinter:
        self._stopping.clear()
        self.go_online()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.go_offline()
        for thread in self._threads:
            thread.join(2.0)
        self._threads = [t for t in self._threads if t.is_alive()]

    def go_offline(self) -> None:
        """Stop listening: new connections are refused, like a printer switched off."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown wakes a thread blocked in accept(); close alone would leave it listening
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            accepting, self._accepting = self._accepting, None
            if accepting is not None:
                accepting.join(2.0)

    def go_online(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self._port))
        listener.listen(8)
        listener.settimeout(0.2)
        self._port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), name="sim-printer", daemon=True)
        self._accepting = thread
        thread.start()

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> str:
        return f"tcp://{self.host}:{self._port}"

    def hang_up_after(self, n_bytes: int) -> None:
        """Cut the connection of the next job after it sent n_bytes (once)."""
        self._hang_up_after = n_bytes

    # what was printed ----------------------------------------------------------------------

    @property
    def jobs(self) -> list[PrintedJob]:
        with self._cond:
            return list(self._jobs)

    def receipts(self) -> list[PrintedJob]:
        """Complete jobs that printed text (drawer kicks and test pings left out)."""
        return [job for job in self.jobs if job.complete and job.decoded.lines]

    def wait_for_receipts(self, count: int, timeout_s: float = 10.0) -> list[PrintedJob]:
        """Block until at least `count` complete jobs with text arrived; return those."""
        deadline = time.monotonic() + timeout_s
        while True:
            receipts = self.receipts()
            if len(receipts) >= count:
                return receipts
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the printer printed {len(receipts)} of {count} receipts")
            with self._cond:
                self._cond.wait(min(left, 0.5))

    def wait_for_jobs(self, count: int, timeout_s: float = 10.0, *, complete_only: bool = True) -> list[PrintedJob]:
        """Block until at least `count` jobs arrived; TimeoutError naming how many did."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                jobs = [j for j in self._jobs if j.complete or not complete_only]
                if len(jobs) >= count:
                    return jobs
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the printer received {len(jobs)} of {count} jobs")
                self._cond.wait(left)

    # the wire ------------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener and not self._stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), name="sim-printer-job", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        job = bytearray()
        pending = b""
        complete = True
        conn.settimeout(0.2)
        with conn:
            while not self._stopping.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    complete = False
                    break
                if not data:
                    break
                data, pending = pending + data, b""
                i = 0
                while i < len(data):
                    if data[i] == 0x10 and i + 2 >= len(data) and data[i + 1 : i + 2] in (b"", b"\x04"):
                        pending = data[i:]  # a status query split across reads
                        break
                    if data[i] == 0x10 and data[i + 1] == 0x04:
                        if not self.mute:
                            conn.sendall(bytes([self.status_byte(data[i + 2])]))
                        i += 3
                        continue
                    job.append(data[i])
                    i += 1
                limit = self._hang_up_after
                if limit is not None and len(job) >= limit:
                    self._hang_up_after = None
                    del job[limit:]
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    complete = False
                    break
        if job:
            with self._cond:
                self._jobs.append(PrintedJob(bytes(job), complete))
                self._cond.notify_all()


def render_png(decoded: DecodedPrint, path: Path, columns: int = 48) -> Path:
    """Draw what a job printed (text, QR codes) as a PNG of a paper strip for a person to look at."""
    import qrcode
    from PIL import Image, ImageDraw, ImageFont

    font = _cjk_font(ImageFont)
    cell_w, cell_h = 12, 26
    width = columns * cell_w + 24
    blocks: list[Image.Image | str] = []
    for kind, value in decoded.items:
        if kind == "qr":
            blocks.append(qrcode.make(value, box_size=4, border=2).get_image().convert("L"))
        elif kind == "cut":
            blocks.append("- " * (columns // 2))
        elif kind != "text":
            blocks.append(f"[{kind} {value}]")
        else:
            blocks.append(value)
    height = sum(b.height if isinstance(b, Image.Image) else cell_h for b in blocks) + 24
    paper = Image.new("L", (width, max(height, 40)), 255)
    draw = ImageDraw.Draw(paper)
    y = 12
    for block in blocks:
        if isinstance(block, Image.Image):
            paper.paste(block, ((width - block.width) // 2, y))
            y += block.height
        else:
            x = 12
            for ch in block:  # one cell per column, two for a wide character, as on paper
                draw.text((x, y), ch, fill=0, font=font)
                x += cell_w * char_width(ch)
            y += cell_h
    paper.save(path)
    return path


def _cjk_font(image_font: Any) -> Any:
    candidates = [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ]
    for candidate in candidates:
        if Path(candidate).exists():
            return image_font.truetype(candidate, 20)
    return image_font.load_default()
