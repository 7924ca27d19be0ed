"""Column arithmetic for fixed-width devices (receipt paper, pole displays).

A Chinese or other East Asian wide character takes two columns (`unicodedata.east_asian_width`
W or F). On a GB18030 printer every multi-byte character prints from the double-width font,
so "ambiguous" characters (×, é, ·) count two there as well.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

REPLACEMENT = "?"


@lru_cache(maxsize=8192)
def char_width(ch: str, wide_ambiguous: bool = False) -> int:
    """Columns one character takes: 0 for combining marks, 2 for wide ones, else 1."""
    if unicodedata.combining(ch):
        return 0
    east = unicodedata.east_asian_width(ch)
    if east in ("W", "F") or (wide_ambiguous and east == "A"):
        return 2
    return 1


def text_width(text: str, wide_ambiguous: bool = False) -> int:
    """Columns a string takes."""
    if text.isascii():
        return len(text)
    return _wide_text_width(text, wide_ambiguous)


@lru_cache(maxsize=8192)  # names and labels repeat from receipt to receipt
def _wide_text_width(text: str, wide_ambiguous: bool) -> int:
    return sum(char_width(ch, wide_ambiguous) for ch in text)


@lru_cache(maxsize=4096)
def _char_printable(ch: str, codec: str, max_bytes: int) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return REPLACEMENT  # never let a name smuggle a printer command through
    try:
        encoded = ch.encode(codec)
    except UnicodeEncodeError:
        return REPLACEMENT
    return ch if len(encoded) <= max_bytes else REPLACEMENT


def printable(text: str, codec: str, max_bytes_per_char: int = 2) -> str:
    """The text with every character the device cannot show replaced by a visible '?'."""
    if text.isascii() and text.isprintable():
        return text
    return _printable(text, codec, max_bytes_per_char)


@lru_cache(maxsize=8192)
def _printable(text: str, codec: str, max_bytes_per_char: int) -> str:
    return "".join(_char_printable(ch, codec, max_bytes_per_char) for ch in text)


def truncate(text: str, width: int, wide_ambiguous: bool = False) -> str:
    """The longest prefix of text that fits in width columns."""
    if text.isascii():
        return text[:width]
    used = 0
    for index, ch in enumerate(text):
        used += char_width(ch, wide_ambiguous)
        if used > width:
            return text[:index]
    return text


def wrap(text: str, width: int, wide_ambiguous: bool = False) -> list[str]:
    """Split text into lines of at most width columns, at spaces where it can."""
    lines: list[str] = []
    rest = text.rstrip()  # leading spaces are an indent and stay
    while text_width(rest, wide_ambiguous) > width:
        head = truncate(rest, width, wide_ambiguous) or rest[0]
        space = head.rfind(" ")
        if space > 0 and (len(rest) == len(head) or rest[len(head)] != " "):
            head = head[:space]
        lines.append(head.rstrip())
        rest = rest[len(head) :].lstrip()
    if rest or not lines:
        lines.append(rest)
    return lines


def pair(left: str, right: str, width: int, wide_ambiguous: bool = False) -> list[str]:
    """left and right on one line of `width` columns, or left wrapped above a right-aligned right."""
    right_w = text_width(right, wide_ambiguous)
    left_lines = wrap(left, width, wide_ambiguous)
    last = left_lines[-1]
    gap = width - text_width(last, wide_ambiguous) - right_w
    if gap >= 1 or (not last and gap >= 0):
        left_lines[-1] = last + " " * gap + right
    else:
        left_lines.append(" " * max(0, width - right_w) + right)
    return left_lines


def columns(cells: list[str], widths: list[int], wide_ambiguous: bool = False) -> str:
    """A table row: the first cell left-aligned and truncated, the others right-aligned."""
    out: list[str] = []
    for index, (cell, cell_width) in enumerate(zip(cells, widths, strict=True)):
        cell = truncate(cell, cell_width, wide_ambiguous)
        pad = " " * (cell_width - text_width(cell, wide_ambiguous))
        out.append(cell + pad if index == 0 else pad + cell)
    return "".join(out)
