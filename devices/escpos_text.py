"""Read ESC/POS bytes back into what the paper shows: text lines, QR payloads, barcodes, cuts.

Used by the simulated printer (so a person can see a receipt) and by tests (so they assert
what a receipt says, not which bytes were sent). Text is decoded with the code page the bytes
selected (ESC t n) or GB18030 in Chinese mode (FS &). Truncated input (a printer hung up
mid-job) is decoded as far as it goes; an unknown command is noted, never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS, DLE, US = 0x1B, 0x1D, 0x1C, 0x10, 0x1F

# ESC t n -> Python codec (Epson numbering; the common ones)
CODE_TABLES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252",
               17: "cp866", 18: "cp852", 19: "cp858", 40: "iso8859_15", 45: "cp1250", 46: "cp1251"}
# commands followed by a fixed number of argument bytes
_ESC_ARGS = {ord(c): n for c, n in {
    "!": 1, "-": 1, "2": 0, "3": 1, "=": 1, "E": 1, "G": 1, "J": 1, "K": 1, "M": 1, "R": 1,
    "T": 1, "U": 1, "V": 1, "a": 1, "c": 2, "d": 1, "e": 1, "r": 1, "t": 1, "{": 1, " ": 1,
    "$": 2, "\\": 2, "L": 0, "S": 0, "W": 8, "<": 0, "i": 0, "m": 0, "p": 3, "u": 1, "v": 0,
}.items()}
_GS_ARGS = {ord(c): n for c, n in {
    "!": 1, "B": 1, "H": 1, "f": 1, "h": 1, "w": 1, "L": 2, "W": 2, "b": 1, "a": 1, "r": 1,
    "I": 1, "P": 2, "$": 2, "\\": 2, "T": 1, "E": 1, "/": 1, ":": 0, "^": 3, "g": 0,
}.items()}
_FS_ARGS = {ord(c): n for c, n in {"!": 1, "-": 1, "C": 1, "W": 1, "S": 2, "p": 2, "&": 0, ".": 0}.items()}


@dataclass
class DecodedPrint:
    """What a run of ESC/POS bytes prints, in order: ("text", line), ("qr", payload), ..."""

    items: list[tuple[str, str]] = field(default_factory=list)
    drawer_pins: list[int] = field(default_factory=list)
    status_queries: list[int] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def _of(self, kind: str) -> list[str]:
        return [value for k, value in self.items if k == kind]

    @property
    def lines(self) -> list[str]:
        return self._of("text")

    @property
    def qr_codes(self) -> list[str]:
        return self._of("qr")

    @property
    def barcodes(self) -> list[str]:
        return self._of("barcode")

    @property
    def cuts(self) -> int:
        return len(self._of("cut"))

    @property
    def text(self) -> str:
        """All text lines joined, for `in` checks."""
        return "\n".join(self.lines)

    def render(self) -> str:
        """A human-readable picture of the paper: text, [QR ...], [BARCODE ...], cut marks."""
        out: list[str] = []
        for kind, value in self.items:
            if kind == "text":
                out.append(value)
            elif kind == "cut":
                out.append("- - - - - - - - cut - - - - - - - -")
            else:
                out.append(f"[{kind.upper()} {value}]")
        return "\n".join(out)


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.i = 0
        self.out = DecodedPrint()
        self.segments: list[tuple[str, bytearray]] = []
        self.codec = "cp437"
        self.chinese = False

    def take(self, n: int) -> bytes | None:
        if self.i + n > len(self.data):
            self.i = len(self.data)
            return None
        chunk = self.data[self.i : self.i + n]
        self.i += n
        return chunk

    def emit_text(self, b: bytes) -> None:
        codec = "gb18030" if self.chinese else self.codec
        if self.segments and self.segments[-1][0] == codec:
            self.segments[-1][1].extend(b)
        else:
            self.segments.append((codec, bytearray(b)))

    def flush(self, force: bool) -> None:
        line = "".join(bytes(b).decode(codec, errors="replace") for codec, b in self.segments)
        self.segments = []
        if force or line:
            self.out.items.append(("text", line.rstrip(" ")))

    def item(self, kind: str, value: str) -> None:
        if self.segments:
            self.flush(force=False)
        self.out.items.append((kind, value))

    def run(self) -> DecodedPrint:
        data = self.data
        while self.i < len(data):
            b = data[self.i]
            self.i += 1
            if b == 0x0A:
                self.flush(force=True)
            elif b in (0x0D, 0x00, 0x0C):
                continue
            elif b == 0x09:
                self.emit_text(b" ")
            elif b == ESC:
                self.esc()
            elif b == GS:
                self.gs()
            elif b == FS:
                self.fs()
            elif b == DLE:
                self.dle()
            elif b < 0x20:
                self.out.unknown.append(f"control 0x{b:02x}")
            else:
                start = self.i - 1
                while self.i < len(data) and data[self.i] >= 0x20 and data[self.i] != 0x7F:
                    self.i += 1
                self.emit_text(data[start : self.i])
        if self.segments:
            self.flush(force=False)
        return self.out

    def esc(self) -> None:
        cmd = self.take(1)
        if cmd is None:
            return
        c = cmd[0]
        if c == ord("@"):
            self.codec, self.chinese = "cp437", False
        elif c == ord("*"):
            head = self.take(3)
            if head is not None:
                n = head[1] + head[2] * 256
                self.take(n * (3 if head[0] in (32, 33) else 1))
                self.item("image", f"{n} dots wide")
        elif c == ord("D"):
            while self.take(1) not in (None, b"\x00"):
                continue
        elif c in _ESC_ARGS:
            args = self.take(_ESC_ARGS[c]) or b""
            if c == ord("t") and args:
                self.codec = CODE_TABLES.get(args[0], "cp437")
            elif c == ord("p") and args:
                self.out.drawer_pins.append(2 if args[0] in (0, 48) else 5)
            elif c in (ord("d"), ord("J")) and self.segments:
                self.flush(force=False)
            elif c in (ord("i"), ord("m")):
                self.item("cut", "")
        else:
            self.out.unknown.append(f"ESC 0x{c:02x}")

    def gs(self) -> None:
        cmd = self.take(1)
        if cmd is None:
            return
        c = cmd[0]
        if c == ord("V"):
            mode = self.take(1)
            if mode is not None and mode[0] in (65, 66, 97, 98, 103, 104):
                self.take(1)
            self.item("cut", "")
        elif c == ord("k"):
            self.barcode()
        elif c == ord("("):
            self.gs_paren()
        elif c == ord("8"):
            head = self.take(5)  # L p1 p2 p3 p4
            if head is not None:
                self.take(int.from_bytes(head[1:5], "little"))
                self.item("image", "graphics")
        elif c == ord("v"):
            head = self.take(6)  # '0' m xL xH yL yH
            if head is not None:
                width, height = head[2] + head[3] * 256, head[4] + head[5] * 256
                self.take(width * height)
                self.item("image", f"{width * 8}x{height}")
        elif c == ord("*"):
            head = self.take(2)
            if head is not None:
                self.take(head[0] * head[1] * 8)
        elif c in _GS_ARGS:
            self.take(_GS_ARGS[c])
        else:
            self.out.unknown.append(f"GS 0x{c:02x}")

    def barcode(self) -> None:
        head = self.take(1)
        if head is None:
            return
        m = head[0]
        if m <= 6:
            end = self.data.find(b"\x00", self.i)
            end = len(self.data) if end < 0 else end
            payload = self.data[self.i : end]
            self.i = end + 1
        else:
            n = self.take(1)
            payload = (self.take(n[0]) or b"") if n is not None else b""
        text = payload.decode("ascii", errors="replace")
        if m == 73 and text[:2] in ("{A", "{B", "{C"):
            text = text[2:]
        self.item("barcode", text)

    def gs_paren(self) -> None:
        head = self.take(3)  # fn pL pH
        if head is None:
            return
        body = self.take(head[1] + head[2] * 256)
        if body is None:
            return
        if head[0] == ord("k") and len(body) >= 3 and body[0] == 49 and body[1] == 80:
            self.item("qr", body[3:].decode("utf-8", errors="replace"))
        elif head[0] == ord("L") and len(body) >= 2 and body[1] in (50, 112):
            self.item("image", "graphics")

    def fs(self) -> None:
        cmd = self.take(1)
        if cmd is None:
            return
        c = cmd[0]
        if c == ord("&"):
            self.chinese = True
        elif c == ord("."):
            self.chinese = False
        elif c in _FS_ARGS:
            self.take(_FS_ARGS[c])
        else:
            self.out.unknown.append(f"FS 0x{c:02x}")

    def dle(self) -> None:
        cmd = self.take(1)
        if cmd is None:
            return
        if cmd[0] == 0x04:
            n = self.take(1)
            if n is not None:
                self.out.status_queries.append(n[0])
        elif cmd[0] == 0x14:
            args = self.take(3)  # fn m t: fn 1 = real-time drawer pulse
            if args is not None and args[0] == 1:
                self.out.drawer_pins.append(2 if args[1] == 0 else 5)
        else:
            self.out.unknown.append(f"DLE 0x{cmd[0]:02x}")


def decode(data: bytes) -> DecodedPrint:
    """Decode printer bytes into text lines and codes; never raises on malformed input."""
    return _Decoder(data).run()


def split_status_queries(data: bytes) -> tuple[bytes, list[int]]:
    """Remove DLE EOT n queries from a byte stream: (the rest, the n of each query)."""
    rest = bytearray()
    queries: list[int] = []
    i = 0
    while i < len(data):
        if data[i] == DLE and data[i + 1 : i + 2] == b"\x04" and i + 2 < len(data):
            queries.append(data[i + 2])
            i += 3
        else:
            rest.append(data[i])
            i += 1
    return bytes(rest), queries
