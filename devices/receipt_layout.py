"""Lay out `pos.receipt` documents on paper: receipts, return slips, pick-up slips, X/Z reports.
(The pick-up slip's own layout is in `devices.pickup_slip_layout`.)

`render(doc, profile, reprint=False) -> bytes` is the one entry point; the bytes are ESC/POS
for that printer model (columns, code page, cutter). Labels are zh-CN or en per document.
"""

from __future__ import annotations

from datetime import datetime

from devices.paper import Paper, drawer_kick_bytes
from devices.pickup_slip_layout import pickup_slip as _pickup_slip
from devices.profiles import PrinterProfile
from pos.money import format_minor
from pos.receipt import (
    Document,
    Language,
    PickupSlip,
    Receipt,
    ReceiptLine,
    ReturnSlip,
    ShiftReport,
    StoreHeader,
    TaxLine,
    TenderKind,
)

__all__ = ["drawer_kick_bytes", "render", "render_receipt", "render_test_page"]

LABELS: dict[str, tuple[str, str]] = {  # key: (en, zh-CN)
    "receipt_no": ("Receipt No.", "小票号"), "time": ("Time", "时间"), "lane": ("Lane", "收银台"),
    "cashier": ("Cashier", "收银员"), "tax_id": ("Tax ID", "税号"), "tel": ("Tel", "电话"),
    "subtotal": ("Subtotal", "小计"), "discount": ("Discount", "优惠"), "total": ("TOTAL", "合计"),
    "cash_rounding": ("Cash rounding", "现金抹零"), "tax": ("Tax", "税额"), "net": ("Net", "不含税"),
    "tax_class": ("Tax class", "税率类别"), "incl_tax": ("Prices include tax", "价格含税"),
    "change": ("Change", "找零"), "member": ("Member", "会员"), "thanks": ("Thank you!", "谢谢惠顾!"),
    "reprint": ("*** REPRINT ***", "*** 重印 REPRINT ***"),
    "return_title": ("RETURN SLIP", "退货单"), "original": ("Original receipt", "原小票号"),
    "no_receipt": ("(no receipt)", "(无小票)"), "refund": ("REFUND", "退款合计"),
    "reason": ("Reason", "原因"), "approved_by": ("Approved by", "批准人"),
    "signature": ("Customer signature", "顾客签字"), "slip_no": ("Slip No.", "单号"),
    "x_title": ("X REPORT (shift reading)", "X 报表 (班中读数)"),
    "z_title": ("Z REPORT (end of day)", "Z 报表 (日结)"), "report_no": ("Report No.", "报表号"),
    "opened": ("Shift opened", "开班"), "until": ("Until", "截至"), "sales": ("Sales", "销售笔数"), "returns_count": ("Returns", "退货笔数"),
    "voids": ("Voids", "作废笔数"), "no_sale": ("No-sale drawer opens", "无销售开钱箱"),
    "gross": ("Gross sales", "销售总额"), "returns": ("Returns", "退货金额"),
    "net_sales": ("Net sales", "净销售额"), "tenders": ("Tenders", "收款方式"),
    "opening_float": ("Opening float", "备用金"), "cash_expected": ("Cash expected", "应有现金"),
    "cash_counted": ("Cash counted", "实点现金"), "cash_difference": ("Difference", "差额"),
    "test_title": ("PRINTER TEST", "打印机测试"),
}
TENDER_LABELS: dict[TenderKind, tuple[str, str]] = {
    TenderKind.CASH: ("Cash", "现金"), TenderKind.CARD: ("Card", "银行卡"),
    TenderKind.WECHAT: ("WeChat Pay", "微信支付"), TenderKind.ALIPAY: ("Alipay", "支付宝"),
    TenderKind.VOUCHER: ("Voucher", "代金券"), TenderKind.POINTS: ("Points", "积分"),
    TenderKind.OTHER: ("Other", "其他"),
}


class _Layout:
    def __init__(self, profile: PrinterProfile, language: Language, exponent: int = 2) -> None:
        self.paper = Paper(profile)
        # zh-CN labels and names need a printer with Chinese; a Western model prints English
        self.zh = language is Language.ZH and profile.chinese
        self.exponent = exponent

    def t(self, key: str) -> str:
        en, zh = LABELS[key]
        return zh if self.zh else en

    def money(self, amount: int) -> str:
        return format_minor(amount, self.exponent)

    def when(self, at: datetime) -> str:
        return at.strftime("%Y-%m-%d %H:%M:%S")

    def name(self, en: str, zh: str) -> str:
        return (zh or en) if self.zh else (en or zh)

    def banner(self, reprint: bool) -> None:
        if reprint:
            p = self.paper
            with p.emphasis(tall=True, invert=True):
                p.line(self.t("reprint"), align="center")

    def header(self, store: StoreHeader, title: str = "") -> None:
        p = self.paper
        p.logo()
        first, second = (store.name_zh, store.name_en) if self.zh else (store.name_en, store.name_zh)
        with p.emphasis(tall=True):
            p.line(first or second, align="center")
        if second and first and p.can_print(second):  # no line of "????" on a Western printer
            p.line(second, align="center")
        if store.address:
            p.line(store.address, align="center")
        if store.tax_id:
            p.line(f"{self.t('tax_id')}: {store.tax_id}", align="center")
        if store.phone:
            p.line(f"{self.t('tel')}: {store.phone}", align="center")
        if title:
            p.blank()
            with p.emphasis(tall=True):
                p.line(title, align="center")
        p.rule()

    def item(self, line: ReceiptLine) -> None:
        p = self.paper
        name = self.name(line.name_en, line.name_zh)
        if line.grams is not None:
            qty = f"{format_minor(line.grams, 3)} kg x {self.money(line.unit_price)}/kg"
        else:
            qty = f"{line.quantity} x {self.money(line.unit_price)}"
        if p.width >= 42 and line.quantity == 1 and line.grams is None:
            p.pair(name, self.money(line.amount))
        else:
            p.line(name)
            p.pair("  " + qty, self.money(line.amount))
        for promo in line.discounts:
            p.pair(f"  - {promo.name}", self.money(-promo.amount))

    def taxes(self, taxes: tuple[TaxLine, ...]) -> None:
        if not taxes:
            return
        p = self.paper
        widths = [0, 11, 10]
        p.row([self.t("tax_class"), self.t("net"), self.t("tax")], widths)
        for tax in taxes:
            rate = format_minor(tax.rate_bp, 2).rstrip("0").rstrip(".")
            p.row([f"{tax.tax_class} {rate}%", self.money(tax.net), self.money(tax.tax)], widths)

    def tender(self, kind: TenderKind, amount: int, reference: str = "") -> None:
        en, zh = TENDER_LABELS[kind]
        label = zh if self.zh else en
        self.paper.pair(f"{label} {reference}".rstrip(), self.money(amount))

    def codes(self, payload: str) -> None:
        self.paper.blank()
        self.paper.qr(payload)
        self.paper.barcode(payload)


def _receipt(doc: Receipt, lay: _Layout) -> None:
    p = lay.paper
    lay.header(doc.store)
    p.pair(f"{lay.t('receipt_no')}:", doc.receipt_no)
    p.pair(f"{lay.t('time')}:", lay.when(doc.at))
    p.pair(f"{lay.t('lane')}: {doc.lane}", f"{lay.t('cashier')}: {doc.cashier}")
    if doc.member:
        p.pair(f"{lay.t('member')}:", doc.member)
    p.rule()
    for line in doc.lines:
        lay.item(line)
    p.rule()
    p.pair(lay.t("subtotal"), lay.money(doc.subtotal))
    if doc.discount:
        p.pair(lay.t("discount"), lay.money(-doc.discount))
    if not doc.prices_include_tax:
        p.pair(lay.t("tax"), lay.money(doc.tax))
    with p.emphasis(tall=True):
        p.pair(f"{lay.t('total')} {doc.currency}", lay.money(doc.total))
    if doc.cash_rounding:
        p.pair(lay.t("cash_rounding"), lay.money(doc.cash_rounding))
    for tender in doc.tenders:
        lay.tender(tender.kind, tender.amount, tender.reference)
    p.pair(lay.t("change"), lay.money(doc.change))
    if doc.taxes:
        p.rule()
        if doc.prices_include_tax:
            p.line(lay.t("incl_tax"))
        lay.taxes(doc.taxes)
    p.rule()
    if doc.footer:
        p.line(doc.footer, align="center")
    p.line(lay.t("thanks"), align="center")
    lay.codes(doc.receipt_no)


def _return_slip(doc: ReturnSlip, lay: _Layout) -> None:
    p = lay.paper
    lay.header(doc.store, lay.t("return_title"))
    p.pair(f"{lay.t('slip_no')}:", doc.slip_no)
    p.pair(f"{lay.t('original')}:", doc.original_receipt_no or lay.t("no_receipt"))
    p.pair(f"{lay.t('time')}:", lay.when(doc.at))
    p.pair(f"{lay.t('lane')}: {doc.lane}", f"{lay.t('cashier')}: {doc.cashier}")
    p.rule()
    for line in doc.lines:
        lay.item(line)
    p.rule()
    with p.emphasis(tall=True):
        p.pair(f"{lay.t('refund')} {doc.currency}", lay.money(-doc.total))
    for tender in doc.refunds:
        lay.tender(tender.kind, -tender.amount, tender.reference)
    lay.taxes(doc.taxes)
    if doc.reason:
        p.line(f"{lay.t('reason')}: {doc.reason}")
    if doc.approved_by:
        p.line(f"{lay.t('approved_by')}: {doc.approved_by}")
    p.blank()
    p.line(f"{lay.t('signature')}:")
    p.blank()
    p.rule("_")
    lay.codes(doc.slip_no)


def _shift_report(doc: ShiftReport, lay: _Layout) -> None:
    p = lay.paper
    lay.header(doc.store, lay.t("x_title" if doc.kind.value == "X" else "z_title"))
    p.pair(f"{lay.t('report_no')}:", doc.report_no)
    p.pair(f"{lay.t('lane')}: {doc.lane}", f"{lay.t('cashier')}: {doc.cashier}")
    p.pair(f"{lay.t('opened')}:", lay.when(doc.opened_at))
    p.pair(f"{lay.t('until')}:", lay.when(doc.at))
    p.rule()
    for key, count in (("sales", doc.sales_count), ("returns_count", doc.returns_count),
                       ("voids", doc.voids_count), ("no_sale", doc.no_sale_count)):
        p.pair(lay.t(key), str(count))
    p.rule()
    p.pair(lay.t("gross"), lay.money(doc.gross_sales))
    p.pair(lay.t("discount"), lay.money(-doc.discounts))
    p.pair(lay.t("returns"), lay.money(-doc.returns))
    with p.emphasis():
        p.pair(f"{lay.t('net_sales')} {doc.currency}", lay.money(doc.net_sales))
    p.rule()
    lay.taxes(doc.taxes)
    p.rule()
    p.line(lay.t("tenders"))
    for total in doc.tenders:
        en, zh = TENDER_LABELS[total.kind]
        p.pair(f"  {zh if lay.zh else en} x{total.count}", lay.money(total.amount))
    p.rule()
    p.pair(lay.t("opening_float"), lay.money(doc.opening_float))
    p.pair(lay.t("cash_expected"), lay.money(doc.cash_expected))
    if doc.cash_counted is not None and doc.cash_difference is not None:
        p.pair(lay.t("cash_counted"), lay.money(doc.cash_counted))
        with p.emphasis():
            p.pair(lay.t("cash_difference"), lay.money(doc.cash_difference))
    p.blank()


def render(doc: Document, profile: PrinterProfile, *, reprint: bool = False) -> bytes:
    """The ESC/POS bytes of a document for a printer model; `reprint` adds the REPRINT banner."""
    exponent = getattr(doc, "currency_exponent", 2)
    lay = _Layout(profile, doc.language, exponent)
    lay.banner(reprint)
    if isinstance(doc, Receipt):
        _receipt(doc, lay)
    elif isinstance(doc, ReturnSlip):
        _return_slip(doc, lay)
    elif isinstance(doc, PickupSlip):
        _pickup_slip(doc, lay)
    else:
        _shift_report(doc, lay)
    lay.banner(reprint)
    return lay.paper.finish()


render_receipt = render


def render_test_page(profile: PrinterProfile, language: Language = Language.ZH) -> bytes:
    """A page a technician prints at install: model, column ruler, code page, QR and barcode."""
    lay = _Layout(profile, language)
    p = lay.paper
    with p.emphasis(tall=True):
        p.line(lay.t("test_title"), align="center")
    p.line(profile.name, align="center")
    p.rule("=")
    p.line(("1234567890" * 7)[: profile.columns])
    p.pair(f"{profile.paper_width_mm} mm, {profile.columns} col", profile.code_page)
    p.line("Latin: àéîõü ÀÉÎÕÜ ß £ €")
    p.line("中文: 富士苹果 收银台 谢谢惠顾")
    p.pair("中文对齐", "12.34")
    p.pair("Align", "12.34")
    lay.codes("TEST-0001")
    return p.finish()
