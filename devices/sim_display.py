"""The screen of an Epson-style customer display, rebuilt from the bytes sent to it.

Understands ESC @, CLR (0x0C), HOM, CR, LF, BS, CAN, US $ x y (cursor), ESC t n, FS & / FS .
(Chinese mode, GB18030, two cells per character). Commands split across reads are kept
until the rest arrives; anything unknown is skipped.
"""

from __future__ import annotations

from devices.escpos_text import CODE_TABLES
from devices.textwidth import char_width

_US_ARGS = {ord("C"): 1, ord("E"): 1, ord("X"): 1, ord("r"): 1, ord("T"): 2, ord("^"): 2,
            ord("B"): 0, ord("@"): 0, 1: 0, 2: 0, 3: 0, ord("U"): 0, ord(":"): 0, ord("$"): 2}
_ESC_ARGS = {ord("t"): 1, ord("="): 1, ord("R"): 1, ord("%"): 1, ord("@"): 0}


class DisplayScreen:
    def __init__(self, columns: int = 20, rows: int = 2) -> None:
        self.columns, self.rows = columns, rows
        self._pending = b""
        self._reset()

    def _reset(self) -> None:
        self.cells = [[" "] * self.columns for _ in range(self.rows)]
        self.x = self.y = 0
        self.chinese = False
        self.codec = "cp437"

    def _clear(self) -> None:
        self.cells = [[" "] * self.columns for _ in range(self.rows)]
        self.x = self.y = 0

    @property
    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.cells]

    def _put(self, ch: str) -> None:
        width = char_width(ch, wide_ambiguous=self.chinese and not ch.isascii())
        if self.x + width > self.columns:
            self.x, self.y = 0, min(self.y + 1, self.rows - 1)
        self.cells[self.y][self.x] = ch
        if width == 2:
            self.cells[self.y][self.x + 1] = ""
        self.x += width

    def feed(self, data: bytes) -> None:
        data, self._pending = self._pending + data, b""
        i = 0
        while i < len(data):
            used = self._step(data, i)
            if used == 0:  # incomplete: wait for more bytes
                self._pending = data[i:]
                return
            i += used

    def _step(self, data: bytes, i: int) -> int:
        b = data[i]
        rest = len(data) - i
        if b == 0x1B or b == 0x1F or b == 0x1C:
            if rest < 2:
                return 0
            c = data[i + 1]
            table = {0x1B: _ESC_ARGS, 0x1F: _US_ARGS}.get(b, {ord("&"): 0, ord("."): 0})
            n = table.get(c, 0)
            if rest < 2 + n:
                return 0
            args = data[i + 2 : i + 2 + n]
            if b == 0x1B and c == ord("@"):
                self._reset()
            elif b == 0x1B and c == ord("t"):
                self.codec = CODE_TABLES.get(args[0], "cp437")
            elif b == 0x1F and c == ord("$"):
                self.x = min(max(args[0], 1), self.columns) - 1
                self.y = min(max(args[1], 1), self.rows) - 1
            elif b == 0x1F and c == ord("B"):
                self.x, self.y = 0, self.rows - 1
            elif b == 0x1C:
                self.chinese = c == ord("&")
            return 2 + n
        if b == 0x0C:
            self._clear()
        elif b == 0x0B:
            self.x = self.y = 0
        elif b == 0x0D:
            self.x = 0
        elif b == 0x0A:
            self.y = min(self.y + 1, self.rows - 1)
        elif b == 0x08:
            self.x = max(self.x - 1, 0)
        elif b == 0x18:
            self.cells[self.y] = [" "] * self.columns
            self.x = 0
        elif b >= 0x20:
            if self.chinese and b >= 0x81:
                size = 4 if rest >= 2 and 0x30 <= data[i + 1] <= 0x39 else 2
                if rest < size:
                    return 0
                self._put(data[i : i + size].decode("gb18030", errors="replace"))
                return size
            self._put(bytes([b]).decode(self.codec, errors="replace"))
        return 1
