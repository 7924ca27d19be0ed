"""Bytes from a scanner to codes: line splitting, AIM symbology identifiers, bad input.

Pure logic, no I/O, shared by the serial and TCP scanners (and usable for keyboard-wedge
input in the TUI). Garbage bytes, control characters, half lines that never end and lines
longer than the profile allows become `Rejected` with a reason; nothing here raises.
"""

from __future__ import annotations

from dataclasses import dataclass

# AIM ISO/IEC 15424 symbology identifiers: "]" + code character + modifier.
AIM_EXACT = {
    "]E0": "EAN-13", "]E1": "UPC-E", "]E3": "EAN-13+add-on", "]E4": "EAN-8",
    "]C0": "Code 128", "]C1": "GS1-128", "]d1": "Data Matrix", "]d2": "GS1 DataMatrix",
    "]Q1": "QR Code", "]Q3": "GS1 QR Code", "]e0": "GS1 DataBar", "]A0": "Code 39",
}
AIM_FAMILY = {
    "A": "Code 39", "C": "Code 128", "E": "EAN/UPC", "F": "Codabar", "G": "Code 93",
    "I": "ITF", "L": "PDF417", "Q": "QR Code", "d": "Data Matrix", "e": "GS1 DataBar",
    "z": "Aztec", "H": "Code 11", "M": "MSI", "S": "Code 2 of 5", "X": "Other",
}
UNKNOWN_SYMBOLOGY = "unknown"
# GS (FNC1 in GS1 data), RS and EOT (ISO/IEC 15434 envelopes in 2D codes) are data, not noise
_ALLOWED_CONTROLS = frozenset("\x1d\x1e\x04")


@dataclass(frozen=True, slots=True)
class Decoded:
    code: str
    symbology: str  # "" when the scanner sends no identifier
    aim_id: str = ""
    warning: str = ""  # e.g. an unknown symbology identifier: delivered, and reported


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str


Outcome = Decoded | Rejected


def _preview(text: str | bytes, limit: int = 24) -> str:
    shown = repr(text[:limit])
    return shown + ("..." if len(text) > limit else "")


def decode_line(line: bytes | str, aim_ids: bool) -> Outcome:
    """One complete line (without its suffix) as a code, or the reason it cannot be one."""
    if isinstance(line, bytes):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return Rejected(f"unreadable bytes from the scanner: {_preview(line)}")
    else:
        text = line
    if any((ch < " " or ch == "\x7f") and ch not in _ALLOWED_CONTROLS for ch in text):
        return Rejected(f"control characters in a scan: {_preview(text)}")
    aim_id, symbology, warning = "", "", ""
    if aim_ids and len(text) >= 3 and text[0] == "]":
        aim_id, text = text[:3], text[3:]
        symbology = AIM_EXACT.get(aim_id) or AIM_FAMILY.get(aim_id[1], "")
        if not symbology:
            symbology = UNKNOWN_SYMBOLOGY
            warning = f"unknown symbology identifier {aim_id!r}"
    if not text:
        return Rejected("an empty scan")
    return Decoded(text, symbology, aim_id, warning)


class LineSplitter:
    """Cuts a byte stream at CR, LF or the profile's suffix; guards length and staleness."""

    def __init__(self, suffix: bytes, aim_ids: bool, max_length: int, stale_after_s: float = 1.0) -> None:
        self.terminators = frozenset(b"\r\n" + suffix)
        self.aim_ids = aim_ids
        self.max_length = max_length
        self.stale_after_s = stale_after_s
        self._buffer = bytearray()
        self._discarding = False
        self._last_byte_at = 0.0

    def feed(self, data: bytes, now: float) -> list[Outcome]:
        """Outcomes of the complete lines in data; a partial line waits for the rest."""
        out: list[Outcome] = []
        if self._buffer and now - self._last_byte_at > self.stale_after_s:
            out.extend(self.expire(now))
        self._last_byte_at = now
        start = 0
        for index, byte in enumerate(data):
            if byte in self.terminators:
                self._take(data[start:index], out, complete=True)
                start = index + 1
        self._take(data[start:], out, complete=False)
        return out

    def _take(self, chunk: bytes, out: list[Outcome], *, complete: bool) -> None:
        if not self._discarding:
            self._buffer += chunk
            if len(self._buffer) > self.max_length:
                out.append(Rejected(
                    f"a scan longer than {self.max_length} characters was discarded: "
                    f"{_preview(bytes(self._buffer))}"
                ))
                self._buffer.clear()
                self._discarding = True
        if complete:
            if self._buffer:
                out.append(decode_line(bytes(self._buffer), self.aim_ids))
            self._buffer.clear()
            self._discarding = False

    def expire(self, now: float) -> list[Outcome]:
        """A half line left without its end for too long is dropped (and reported)."""
        if (self._buffer or self._discarding) and now - self._last_byte_at > self.stale_after_s:
            return self.reset()
        return []

    def reset(self) -> list[Outcome]:
        """Drop a partial line (the device went away); report it if there was one."""
        partial, self._buffer = bytes(self._buffer), bytearray()
        self._discarding = False
        if partial:
            return [Rejected(f"an incomplete scan was discarded: {_preview(partial)}")]
        return []
