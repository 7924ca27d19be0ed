"""A roll of receipt paper as python-escpos's Dummy printer sees it: text in columns, codes, cut.

Text is encoded here, not by python-escpos's magic encoder: GB18030 needs the printer's Chinese
mode (FS &), and column layout must know which characters print double-width. A character the
code page cannot print becomes a visible '?', never an exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from escpos.printer import Dummy

from devices import textwidth
from devices.profiles import PrinterProfile

INIT = b"\x1b@"
CHINESE_ON = b"\x1c&"
CHINESE_OFF = b"\x1c."


class Paper:
    """Collects the bytes of one document for one printer profile."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.width = profile.columns
        self.wide = profile.chinese  # multi-byte GB18030 characters all print double-width
        self.codec = profile.codec
        self._max_bytes = 2 if profile.chinese else 1
        self.printer = Dummy(profile=profile.escpos_profile)
        self._raw = self.printer._raw
        self._raw(INIT)
        if profile.chinese:
            self._raw(CHINESE_ON)
        else:
            table = int(self.printer.profile.get_code_pages()[profile.code_page])
            self._raw(b"\x1bt" + bytes([table]))

    # text -------------------------------------------------------------------------------

    def clean(self, text: str) -> str:
        """Text as this printer can show it: unprintable characters replaced by '?'."""
        return textwidth.printable(text, self.codec, self._max_bytes)

    def can_print(self, text: str) -> bool:
        """Whether every character of text prints as itself here."""
        return self.clean(text) == text

    def _emit(self, line: str) -> None:
        self._raw(line.encode(self.codec, errors="replace") + b"\n")

    def line(self, text: str = "", *, align: str = "left") -> None:
        """Print text, wrapped to the paper width; `align` is left, center or right."""
        for part in textwidth.wrap(self.clean(text), self.width, self.wide):
            if align == "left":
                self._emit(part)
                continue
            gap = self.width - textwidth.text_width(part, self.wide)
            self._emit(" " * (gap // 2 if align == "center" else gap) + part)

    def pair(self, left: str, right: str) -> None:
        """left text and a right-aligned value (an amount) on one line, wrapping left if long."""
        for part in textwidth.pair(self.clean(left), self.clean(right), self.width, self.wide):
            self._emit(part)

    def row(self, cells: list[str], widths: list[int]) -> None:
        """A table row: widths in columns, the first cell takes what the others leave."""
        first = self.width - sum(widths[1:])
        self._emit(textwidth.columns([self.clean(c) for c in cells], [first, *widths[1:]], self.wide))

    def big(self, text: str) -> None:
        """One short line in bold double width and height, centred: half the columns fit, and
        what does not fit is cut (a code read across the counter, not a name)."""
        half = self.width // 2
        part = textwidth.truncate(self.clean(text), half, self.wide)
        gap = half - textwidth.text_width(part, self.wide)
        self._raw(b"\x1bE\x01\x1d!\x11")
        self._emit(" " * (gap // 2) + part)
        self._raw(b"\x1bE\x00\x1d!\x00")

    def rule(self, char: str = "-") -> None:
        self._emit(char * self.width)

    def blank(self) -> None:
        self._raw(b"\n")

    # styles -----------------------------------------------------------------------------

    @contextmanager
    def emphasis(self, *, tall: bool = False, invert: bool = False) -> Iterator[None]:
        """Bold text inside the block; `tall` doubles the height (same columns), `invert` is
        white on black."""
        self._raw(b"\x1bE\x01" + (b"\x1d!\x01" if tall else b"") + (b"\x1dB\x01" if invert else b""))
        try:
            yield
        finally:
            self._raw(b"\x1bE\x00" + (b"\x1d!\x00" if tall else b"") + (b"\x1dB\x00" if invert else b""))

    # codes and paper handling -----------------------------------------------------------

    def qr(self, payload: str) -> None:
        if self.profile.qr == "none" or not payload:
            return
        self.printer.set(align="center")
        size = 6 if self.profile.paper_width_mm >= 80 else 4
        if self.profile.qr == "native":
            self.printer.qr(payload, size=size, native=True)
            self._raw(b"\n")
        else:
            self.printer.qr(payload, size=size, native=False, center=False)
        self.printer.set(align="left")

    def barcode(self, code: str) -> None:
        if self.profile.barcode == "none" or not code or not code.isascii() or not code.isprintable():
            return
        # _hw_barcode, not barcode(): the latter prints its choice of renderer to stdout
        self.printer._hw_barcode(
            "{B" + code[:40], "CODE128", height=60, width=2, pos="BELOW",
            function_type="B", check=False,
        )
        self._raw(b"\n")
        self.printer.set(align="left")

    def logo(self) -> None:
        if self.profile.logo:
            self._raw(_logo_bytes(self.profile.logo, self.profile.escpos_profile))

    def drawer_kick(self, pin: int | None = None) -> None:
        self.printer.cashdraw(self.profile.drawer.command(pin))

    def finish(self) -> bytes:
        """Feed past the tear bar, cut where the model has a cutter, and return the bytes."""
        if self.profile.chinese:
            self._raw(CHINESE_OFF)
        if self.profile.cutter == "none":
            self.printer.print_and_feed(4)
        else:
            self.printer.cut(mode="PART" if self.profile.cutter == "partial" else "FULL")
        return bytes(self.printer.output)


@lru_cache(maxsize=16)
def _logo_bytes(path: str, escpos_profile: str) -> bytes:
    """A logo converted to raster bytes once per process (pillow conversion is slow)."""
    printer = Dummy(profile=escpos_profile)
    printer.image(path, center=True)
    printer.set(align="left")
    return bytes(printer.output)


def drawer_kick_bytes(profile: PrinterProfile, pin: int | None = None) -> bytes:
    """The bytes that fire the cash drawer connected to this printer (pin 2 or 5)."""
    printer = Dummy(profile=profile.escpos_profile)
    printer.cashdraw(profile.drawer.command(pin))
    return bytes(printer.output)
