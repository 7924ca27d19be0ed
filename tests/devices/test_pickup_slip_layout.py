"""The pick-up slip on paper: rendered to ESC/POS for 58 and 80 mm printers in both languages and
decoded back, so the tests read what the counter reads (double-width Chinese counted as two)."""

from __future__ import annotations

import dataclasses

import pytest

from devices.escpos_text import DecodedPrint, decode
from devices.profiles import PrinterProfile, ProfileCatalog
from devices.receipt_layout import render
from devices.textwidth import text_width
from pos.pickup_slip import PickupLine
from pos.receipt import Language
from tests.devices.helpers import sample_pickup

PAPERS = [("generic-58mm-gb18030", 32), ("generic-80mm-gb18030", 48), ("epson-tm-t88", 42)]
LANGUAGES = [Language.ZH, Language.EN]


def paper(profile: PrinterProfile, language: Language, **changes: object) -> DecodedPrint:
    return decode(render(dataclasses.replace(sample_pickup(language), **changes), profile))  # type: ignore[arg-type]


def line_with(out: DecodedPrint, *parts: str) -> str:
    found = [line for line in out.lines if all(part in line for part in parts)]
    assert found, f"no line with {parts} in:\n{out.render()}"
    return found[0]


@pytest.mark.parametrize(("model", "columns"), PAPERS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_line_fits_the_paper_and_amounts_sit_at_its_edge(
    catalog: ProfileCatalog, model: str, columns: int, language: Language
) -> None:
    profile = catalog.printer(model)
    assert profile.columns == columns
    out = paper(profile, language)
    for line in out.lines:
        assert text_width(line, profile.chinese) <= columns, line
    zh = language is Language.ZH and profile.chinese
    total = line_with(out, "合计 CNY" if zh else "TOTAL CNY", "95.00")
    assert text_width(total, profile.chinese) == columns
    refund = line_with(out, "应退款" if zh else "TO REFUND", "31.50")
    assert text_width(refund, profile.chinese) == columns


@pytest.mark.parametrize(("model", "columns"), PAPERS)
def test_a_chinese_slip_says_it_in_chinese(catalog: ProfileCatalog, model: str, columns: int) -> None:
    profile = catalog.printer(model)
    out = paper(profile, Language.ZH)
    if not profile.chinese:  # a Western printer prints the English labels, never "????" labels
        assert "PICK-UP SLIP" in out.text and "自提单" not in out.text
        return
    assert "自提单" in out.text and line_with(out, "订单号:", "WEB-88231")
    assert line_with(out, "约定取货:", "2024-05-01 18:00") and line_with(out, "打印时间:", "2024-05-01 12:34:56")
    assert line_with(out, "鲜牛奶 1升") and line_with(out, "A3  x2  [x] 已拣", "25.00")
    assert line_with(out, "F1  1/3  [!] 缺 2", "12.00")
    assert line_with(out, "0.523/0.500 kg  [x] 已拣", "47.10")
    assert line_with(out, "x1  [~] 已替换", "15.90") and "-> 替换为: 黑麦面包 x1" in out.text
    assert line_with(out, "嫩豆腐") and line_with(out, "x2  [!] 缺货", "0.00")
    assert line_with(out, "已在线支付", "126.50") and "顾客签字:" in out.text and "备注: 请放冷藏" in out.text


@pytest.mark.parametrize(("model", "columns"), PAPERS)
def test_an_english_slip(catalog: ProfileCatalog, model: str, columns: int) -> None:
    out = paper(catalog.printer(model), Language.EN)
    assert "PICK-UP SLIP" in out.text and line_with(out, "Order No.:", "WEB-88231")
    assert line_with(out, "Pick up by:", "2024-05-01 18:00")
    for name in ("Fresh Milk 1L", "Dragon Fruit", "Cherries", "Whole Wheat Bread", "Silken Tofu"):
        assert name in out.text
    assert line_with(out, "F1  1/3  [!] SHORT 2", "12.00") and line_with(out, "[!] MISSING", "0.00")
    assert "-> instead: Rye Bread x1" in out.text and "Customer signature:" in out.text
    assert line_with(out, "Subtotal", "100.00") and line_with(out, "Discount", "-5.00")


@pytest.mark.parametrize(("model", "columns"), PAPERS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pick_up_code_is_large_and_scannable(
    catalog: ProfileCatalog, model: str, columns: int, language: Language
) -> None:
    out = paper(catalog.printer(model), language)
    label = next(i for i, line in enumerate(out.lines) if line in ("取货码:", "Pick-up code:"))
    big = out.lines[label + 1]
    assert big.strip() == "K 7 Q 2 M 9"
    assert len(big) <= columns // 2  # double width: half the columns
    assert out.qr_codes == ["PICKUP:WEB-88231:K7Q2M9"] and out.barcodes == ["PUK7Q2M9"]
    long_code = paper(catalog.printer(model), language, pickup_code="ABCDEFGH2345")
    big = [line.strip() for line in long_code.lines if "ABCDEFGH" in line.replace(" ", "")]
    assert big == (["A B C D E F G H 2 3 4 5"] if columns // 2 >= 23 else ["ABCDEFGH2345"])  # spaced if it fits


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_phone_is_printed_masked_and_the_name_in_full(catalog: ProfileCatalog, language: Language) -> None:
    out = paper(catalog.printer("generic-58mm-gb18030"), language)
    assert line_with(out, "*********5678") and "138" not in out.text and "0013" not in out.text
    assert line_with(out, "陈静 Chen Jing")
    no_phone = paper(catalog.printer("generic-58mm-gb18030"), language, customer_phone="")
    assert "5678" not in no_phone.text


def test_long_chinese_names_wrap_at_the_paper_edge_counting_two_columns_each(catalog: ProfileCatalog) -> None:
    profile = catalog.printer("generic-58mm-gb18030")
    name = "新西兰进口有机红心猕猴桃礼盒装十二个大果每个约一百克"
    long = PickupLine("Kiwi", name, amount=9900, quantity=1, picked=1)
    out = paper(profile, Language.ZH, lines=(long,), subtotal=9900, discount=0, total=9900, paid=9900)
    wrapped = [line for line in out.lines if line and line in name]
    assert "".join(wrapped) == name and len(wrapped) == 2
    assert all(text_width(line, True) <= 32 for line in wrapped)
    assert "已付清" in out.text and "应退款" not in out.text
