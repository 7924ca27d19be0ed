"""Sample documents and a polling wait for the device tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pos.pickup_slip import Substitute, mask_phone
from pos.receipt import (
    AppliedPromotion,
    Language,
    PickupLine,
    PickupSlip,
    Receipt,
    ReceiptLine,
    ReportKind,
    ReturnSlip,
    ShiftReport,
    StoreHeader,
    TaxLine,
    Tender,
    TenderKind,
    TenderTotal,
)

T = TypeVar("T")

STORE = StoreHeader(
    name_en="Green Valley Market",
    name_zh="绿谷超市",
    address="88 Nanjing Rd, Shanghai",
    tax_id="91310000MA1K4XYZ00",
    phone="021-5555-0100",
)
AT = datetime(2024, 5, 1, 12, 34, 56)


def wait_until(predicate: Callable[[], T], timeout_s: float = 10.0, what: str = "condition") -> T:
    """Poll until predicate() is truthy; generous timeouts for a loaded CI machine."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)


def sample_receipt(language: Language = Language.ZH, receipt_no: str = "R-0003-000123") -> Receipt:
    """Apples by weight with a named promotion, two milks, rice; 9 % and 13 % tax; cash."""
    lines = (
        ReceiptLine("Fuji Apple", "富士苹果", unit_price=1280, amount=1580, grams=1234,
                    tax_class="A", discounts=(AppliedPromotion("Spring Fruit Fest", 200, "P-17"),)),
        ReceiptLine("Fresh Milk 1L", "鲜牛奶 1升", unit_price=1250, amount=2500, quantity=2, tax_class="A"),
        ReceiptLine("Jasmine Rice 5kg", "茉莉香米 5公斤", unit_price=5990, amount=5990, tax_class="B"),
    )
    # A: 1380 + 2500 = 3880 gross at 9 %: tax 320; B: 5990 at 13 %: tax 689
    taxes = (TaxLine("A", 900, 3560, 320, 3880), TaxLine("B", 1300, 5301, 689, 5990))
    return Receipt(
        store=STORE, receipt_no=receipt_no, lane="3", cashier="Wang Fang", at=AT, lines=lines,
        taxes=taxes, subtotal=10070, discount=200, total=9870,
        tenders=(Tender(TenderKind.CASH, 10000),), change=130, language=language,
    )


def big_receipt(n_lines: int = 100) -> Receipt:
    lines = tuple(
        ReceiptLine(f"Item number {i}", f"商品 {i} 号", unit_price=100 + i, amount=2 * (100 + i),
                    quantity=2, tax_class="A",
                    discounts=(AppliedPromotion("Buy 2 save 买二省", 10),) if i % 3 == 0 else ())
        for i in range(n_lines)
    )
    subtotal = sum(line.amount for line in lines)
    discount = sum(line.discount for line in lines)
    total = subtotal - discount
    return Receipt(STORE, "R-BIG-1", "1", "Li", AT, lines, (TaxLine("A", 1300, total - 1000, 1000, total),),
                   subtotal, discount, total, (Tender(TenderKind.CARD, total, "****1234"),))


def sample_return(language: Language = Language.ZH) -> ReturnSlip:
    line = ReceiptLine("Fresh Milk 1L", "鲜牛奶 1升", unit_price=1250, amount=1250, tax_class="A")
    return ReturnSlip(STORE, "RT-0003-000007", "R-0003-000123", "3", "Wang Fang", AT, (line,), 1250,
                      (Tender(TenderKind.CASH, 1250),), reason="expired", approved_by="Mgr Zhao",
                      language=language)


def sample_pickup(language: Language = Language.ZH) -> PickupSlip:
    """Milk picked, dragon fruit short 2, cherries weighed out, bread substituted, tofu missing;
    paid online for the whole order, so the short pick is refunded at the counter."""
    lines = (
        PickupLine("Fresh Milk 1L", "鲜牛奶 1升", amount=2500, quantity=2, picked=2, location="A3"),
        PickupLine("Dragon Fruit", "火龙果", amount=1200, quantity=3, picked=1, location="F1"),
        PickupLine("Cherries", "车厘子", amount=4710, grams=500, picked=523),
        PickupLine("Whole Wheat Bread", "全麦面包", amount=1590,
                   substitute=Substitute("Rye Bread", "黑麦面包", sku="BREAD-RYE")),
        PickupLine("Silken Tofu", "嫩豆腐", amount=0, quantity=2, picked=0),
    )
    return PickupSlip(
        STORE, "WEB-88231", "K7Q2M9", "陈静 Chen Jing", mask_phone("+86 138-0013-5678"),
        promised_at=datetime(2024, 5, 1, 18, 0), printed_at=AT, lines=lines, subtotal=10000,
        discount=500, total=9500, paid=12650, lane="3", staff="Liu", note="请放冷藏", language=language,
    )


def sample_report(kind: ReportKind = ReportKind.Z, language: Language = Language.ZH) -> ShiftReport:
    return ShiftReport(
        kind=kind, store=STORE, report_no="Z-2024-0501-3", lane="3", cashier="Wang Fang",
        opened_at=datetime(2024, 5, 1, 8, 0), at=datetime(2024, 5, 1, 22, 0), sales_count=182,
        returns_count=3, gross_sales=1_254_300, discounts=23_100, returns=4_550, net_sales=1_226_650,
        taxes=(TaxLine("A", 900, 1_125_367, 101_283, 1_226_650),),
        tenders=(TenderTotal(TenderKind.CASH, 60, 402_000), TenderTotal(TenderKind.WECHAT, 122, 824_650)),
        opening_float=50_000, cash_expected=452_000, cash_counted=451_800, voids_count=2,
        no_sale_count=1, language=language,
    )
