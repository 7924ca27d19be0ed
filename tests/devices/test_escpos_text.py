"""Decoding ESC/POS back to text, and the column arithmetic behind the layout."""

from __future__ import annotations

from devices.escpos_text import decode, split_status_queries
from devices.textwidth import pair, text_width, wrap


def test_decode_follows_code_pages_chinese_mode_and_codes() -> None:
    data = (
        b"\x1b@\x1bt\x13caf\x82 \xd5\n"  # CP858: é and the euro sign
        + b"\x1c&" + "合计 12.00".encode("gb18030") + b"\n\x1c."
        + b"\x1d(k\x06\x001P0R-1" + b"\x1dkI\x05{BR-1" + b"\x1bp\x01\x32\x64" + b"\x1dVA\x00"
    )
    out = decode(data)
    assert out.lines == ["café €", "合计 12.00"]
    assert out.qr_codes == ["R-1"] and out.barcodes == ["R-1"]
    assert out.drawer_pins == [5] and out.cuts == 1
    assert "[QR R-1]" in out.render()


def test_decode_never_fails_on_truncated_or_unknown_input() -> None:
    out = decode(b"ok\n\x1d(k\xff\xff1P0only-part")
    assert out.lines == ["ok"]
    assert decode(b"\x1bZ\x1d\xeeabc\n").lines == ["abc"]
    assert decode(b"\x1d").lines == [] and decode(b"\x10\x04").status_queries == []


def test_status_queries_are_split_from_the_job() -> None:
    assert split_status_queries(b"\x10\x04\x01abc\x10\x04\x04") == (b"abc", [1, 4])


def test_wide_characters_count_two_columns() -> None:
    assert text_width("合计 12.00") == 10
    assert text_width("×é", wide_ambiguous=True) == 4 and text_width("×é") == 2
    assert wrap("富士苹果富士苹果", 6) == ["富士苹", "果富士", "苹果"]
    assert wrap("Very long name here", 9) == ["Very long", "name here"]
    assert pair("鲜牛奶", "7.00", 16) == ["鲜牛奶      7.00"]
    assert pair("A very long left side", "7.00", 12) == ["A very long", "left side", "        7.00"]
