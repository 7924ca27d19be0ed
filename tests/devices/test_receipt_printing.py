"""Receipts printed to a network printer (a TCP server in the test) and read back as text."""

from __future__ import annotations

import dataclasses

import pytest

from devices.escpos_text import DecodedPrint
from devices.printer import ReceiptPrinter
from devices.profiles import PrinterProfile, ProfileCatalog
from devices.receipt_layout import render
from devices.sim_printer import VirtualPrinter
from devices.textwidth import text_width
from pos.receipt import Document, Language, ReceiptLine, ReportKind
from tests.devices.helpers import (
    sample_pickup,
    sample_receipt,
    sample_report,
    sample_return,
)

MODELS = ["generic-58mm-gb18030", "generic-80mm-gb18030", "epson-tm-t88"]


def print_and_read(profile: PrinterProfile, server: VirtualPrinter, doc: Document, *,
                   reprint: bool = False) -> DecodedPrint:
    printer = ReceiptPrinter("lane-3", profile, server.address, status_timeout_s=5.0)
    printer.print_document(doc, reprint=reprint)
    (job,) = server.wait_for_jobs(1)
    return job.decoded


def assert_fits(decoded: DecodedPrint, profile: PrinterProfile) -> None:
    for line in decoded.lines:
        assert text_width(line, profile.chinese) <= profile.columns, line


def line_with(decoded: DecodedPrint, *parts: str) -> str:
    """The one printed line holding all parts, in order, right-aligned to the paper edge."""
    found = [line for line in decoded.lines if all(part in line for part in parts)]
    assert found, f"no line with {parts} in:\n{decoded.render()}"
    return found[0]


@pytest.mark.parametrize("model", ["generic-58mm-gb18030", "generic-80mm-gb18030"])
def test_a_chinese_receipt_says_what_was_sold_in_chinese(
    catalog: ProfileCatalog, tcp_printer: VirtualPrinter, model: str
) -> None:
    profile = catalog.printer(model)
    out = print_and_read(profile, tcp_printer, sample_receipt(Language.ZH))
    assert out.lines[0].strip() == "绿谷超市"
    for expected in ("富士苹果", "鲜牛奶 1升", "茉莉香米 5公斤", "税号: 91310000MA1K4XYZ00",
                     "小票号:", "R-0003-000123", "收银员: Wang Fang", "2024-05-01 12:34:56"):
        assert expected in out.text
    assert line_with(out, "1.234 kg x 12.80/kg", "15.80").endswith("15.80")
    assert line_with(out, "Spring Fruit Fest", "-2.00")
    total = line_with(out, "合计 CNY", "98.70")
    assert text_width(total, True) == profile.columns  # the amount sits at the right edge
    assert line_with(out, "A 9%", "35.60", "3.20")
    assert line_with(out, "B 13%", "53.01", "6.89")
    assert line_with(out, "现金", "100.00") and line_with(out, "找零", "1.30")
    assert out.qr_codes == ["R-0003-000123"]
    assert out.barcodes == ["R-0003-000123"]
    assert_fits(out, profile)


@pytest.mark.parametrize("model", MODELS)
def test_an_english_receipt_at_58_and_80_mm(
    catalog: ProfileCatalog, tcp_printer: VirtualPrinter, model: str
) -> None:
    profile = catalog.printer(model)
    out = print_and_read(profile, tcp_printer, sample_receipt(Language.EN))
    assert out.lines[0].strip() == "Green Valley Market"
    assert "Fuji Apple" in out.text and "Jasmine Rice 5kg" in out.text
    assert line_with(out, "Spring Fruit Fest", "-2.00")
    assert text_width(line_with(out, "TOTAL CNY", "98.70"), profile.chinese) == profile.columns
    assert line_with(out, "Subtotal", "100.70") and line_with(out, "Discount", "-2.00")
    assert line_with(out, "A 9%", "35.60", "3.20") and line_with(out, "B 13%", "53.01", "6.89")
    assert line_with(out, "Cash", "100.00") and line_with(out, "Change", "1.30")
    assert out.qr_codes == ["R-0003-000123"]
    assert out.cuts == (0 if profile.cutter == "none" else 1)
    assert_fits(out, profile)


def test_a_chinese_receipt_on_a_western_printer_falls_back_to_english(
    catalog: ProfileCatalog, tcp_printer: VirtualPrinter
) -> None:
    out = print_and_read(catalog.printer("epson-tm-t88"), tcp_printer, sample_receipt(Language.ZH))
    assert "Fuji Apple" in out.text and "TOTAL CNY" in out.text
    assert "绿谷超市" not in out.text and "????" not in out.text  # no line of question marks


def test_text_the_code_page_cannot_encode_is_replaced_visibly(catalog: ProfileCatalog) -> None:
    receipt = sample_receipt(Language.EN)
    odd = dataclasses.replace(receipt.lines[2], name_en="Crème brûlée 🍮 Ω", name_zh="焦糖布丁 🍮")
    receipt = dataclasses.replace(receipt, lines=(*receipt.lines[:2], odd))
    western = render(receipt, catalog.printer("epson-tm-t20"))
    chinese = render(dataclasses.replace(receipt, language=Language.ZH), catalog.printer("generic-58mm-gb18030"))
    from devices.escpos_text import decode

    assert "Crème brûlée ? ?" in decode(western).text  # CP858 has è and û, not 🍮 or Ω
    assert "焦糖布丁 ?" in decode(chinese).text  # outside the printer's GBK font


def test_a_name_cannot_smuggle_printer_commands(catalog: ProfileCatalog) -> None:
    receipt = sample_receipt(Language.EN)
    evil = dataclasses.replace(receipt.lines[2], name_en="Rice\x1bp\x00\x19\x1dV\x00")
    receipt = dataclasses.replace(receipt, lines=(*receipt.lines[:2], evil))
    from devices.escpos_text import decode

    out = decode(render(receipt, catalog.printer("epson-tm-t20")))
    assert out.drawer_pins == [] and out.cuts == 1
    assert "Rice?p???V?" in out.text


def test_a_reprint_carries_the_banner(catalog: ProfileCatalog, tcp_printer: VirtualPrinter) -> None:
    out = print_and_read(catalog.printer("generic-58mm-gb18030"), tcp_printer, sample_receipt(), reprint=True)
    assert out.lines[0].strip() == "*** 重印 REPRINT ***"
    assert out.lines[-1].strip() == "*** 重印 REPRINT ***"


def test_a_return_slip(catalog: ProfileCatalog, tcp_printer: VirtualPrinter) -> None:
    out = print_and_read(catalog.printer("generic-58mm-gb18030"), tcp_printer, sample_return())
    assert "退货单" in out.text
    assert line_with(out, "原小票号:", "R-0003-000123")
    assert line_with(out, "退款合计 CNY", "-12.50") and line_with(out, "现金", "-12.50")
    assert "原因: expired" in out.text and "批准人: Mgr Zhao" in out.text
    assert out.qr_codes == ["RT-0003-000007"]


def test_a_pick_up_slip_shows_the_short_pick(catalog: ProfileCatalog, tcp_printer: VirtualPrinter) -> None:
    out = print_and_read(catalog.printer("epson-tm-t20"), tcp_printer, sample_pickup(Language.EN))
    assert "PICK-UP SLIP" in out.text and line_with(out, "Order No.:", "WEB-88231")
    assert line_with(out, "F1  1/3  [!] SHORT 2", "12.00")
    assert out.qr_codes == ["PICKUP:WEB-88231:K7Q2M9"] and out.barcodes == ["PUK7Q2M9"]


@pytest.mark.parametrize(("kind", "title"), [(ReportKind.X, "X 报表"), (ReportKind.Z, "Z 报表 (日结)")])
def test_x_and_z_reports(catalog: ProfileCatalog, tcp_printer: VirtualPrinter, kind: ReportKind, title: str) -> None:
    out = print_and_read(catalog.printer("generic-80mm-gb18030"), tcp_printer, sample_report(kind))
    assert title in out.text
    assert line_with(out, "销售笔数", "182") and line_with(out, "净销售额 CNY", "12266.50")
    assert line_with(out, "微信支付 x122", "8246.50")
    assert line_with(out, "差额", "-2.00")
    assert out.qr_codes == []


def test_a_weighed_line_without_quantity_and_long_names_wrap_within_the_paper(catalog: ProfileCatalog) -> None:
    from devices.escpos_text import decode

    receipt = sample_receipt(Language.ZH)
    long = ReceiptLine("x", "非常长的进口有机冷压初榨橄榄油礼盒装限量版", unit_price=100, amount=100, tax_class="B")
    profile = catalog.printer("generic-58mm-gb18030")
    receipt = dataclasses.replace(
        receipt, lines=(*receipt.lines[:2], long), subtotal=4180, total=3980, taxes=(),
        tenders=(dataclasses.replace(receipt.tenders[0], amount=4110),),
    )
    out = decode(render(receipt, profile))
    assert "非常长的进口有机冷压初榨橄榄油" in out.text  # 15 wide characters: 30 of 32 columns
    assert_fits(out, profile)


def test_a_profile_logo_prints_above_the_header(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from devices.escpos_text import decode
    from devices.profiles import load_profile

    Image.new("1", (200, 60), 0).save(tmp_path / "logo.png")
    (tmp_path / "p.yaml").write_text(
        "model: logo-printer\nkind: printer\npaper_width_mm: 80\nescpos_profile: TM-T20II\n"
        "code_page: CP858\nlogo: logo.png\n", encoding="utf-8")
    profile = load_profile(tmp_path / "p.yaml")
    assert isinstance(profile, PrinterProfile)
    out = decode(render(sample_receipt(Language.EN), profile))
    kinds = [kind for kind, _ in out.items]
    assert kinds[0] == "image" and out.lines[0].strip() == "Green Valley Market"
