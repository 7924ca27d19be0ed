"""Lay out a `pos.pickup_slip.PickupSlip` on receipt paper with the receipt's layout helpers.

Read at the counter: the pick-up code large at the top and as QR code and barcode at the
bottom, each line's pick state as a mark a glance finds ([x] picked, [!] short or missing,
[~] substituted), what is still to pay or to refund, and a line for the customer's signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pos.money import format_minor
from pos.pickup_slip import PickMark, PickupLine, PickupSlip

if TYPE_CHECKING:  # receipt_layout dispatches here: no import cycle at run time
    from devices.receipt_layout import _Layout

LABELS: dict[str, tuple[str, str]] = {  # key: (en, zh-CN)
    "title": ("PICK-UP SLIP", "自提单"), "order_no": ("Order No.", "订单号"),
    "pickup_code": ("Pick-up code", "取货码"), "customer": ("Customer", "顾客"), "phone": ("Phone", "电话"),
    "promised": ("Pick up by", "约定取货"), "printed": ("Printed", "打印时间"), "lane": ("Lane", "收银台"),
    "staff": ("Staff", "店员"), "subtotal": ("Subtotal", "小计"), "discount": ("Discount", "优惠"),
    "total": ("TOTAL", "合计"), "paid": ("Paid online", "已在线支付"), "to_pay": ("TO PAY AT PICK-UP", "取货时应付"),
    "to_refund": ("TO REFUND", "应退款"), "paid_in_full": ("PAID IN FULL", "已付清"), "note": ("Note", "备注"),
    "instead": ("instead", "替换为"), "signature": ("Customer signature", "顾客签字"),
}
MARKS: dict[PickMark, tuple[str, str]] = {
    PickMark.TO_PICK: ("[ ] to pick", "[ ] 待拣"), PickMark.PICKED: ("[x] picked", "[x] 已拣"),
    PickMark.SHORT: ("[!] SHORT {short}", "[!] 缺 {short}"), PickMark.SUBSTITUTED: ("[~] SUBSTITUTED", "[~] 已替换"),
    PickMark.MISSING: ("[!] MISSING", "[!] 缺货"),
}


def _t(lay: _Layout, key: str) -> str:
    en, zh = LABELS[key]
    return zh if lay.zh else en


def _kg(grams: int) -> str:
    return format_minor(grams, 3)


def _quantity(line: PickupLine) -> str:
    if line.grams is None:
        return f"{line.picked}/{line.quantity}" if line.mark is PickMark.SHORT else f"x{line.quantity}"
    if line.mark is PickMark.PICKED and line.picked is not None and line.picked != line.grams:
        return f"{_kg(line.picked)}/{_kg(line.grams)} kg"  # weighed out: as picked / as ordered
    return f"{_kg(line.grams)} kg"


def _line(line: PickupLine, lay: _Layout) -> None:
    p = lay.paper
    p.line(lay.name(line.name_en, line.name_zh))
    en, zh = MARKS[line.mark]
    mark = (zh if lay.zh else en).format(short=line.short)
    where = f"{line.location}  " if line.location else ""
    if line.mark in (PickMark.TO_PICK, PickMark.PICKED):
        p.pair(f"  {where}{_quantity(line)}  {mark}", lay.money(line.amount))
    else:
        with p.emphasis():
            p.pair(f"  {where}{_quantity(line)}  {mark}", lay.money(line.amount))
    sub = line.substitute
    if sub is not None:
        amount = f"{_kg(sub.grams)} kg" if sub.grams is not None else f"x{sub.quantity}"
        p.line(f"  -> {_t(lay, 'instead')}: {lay.name(sub.name_en, sub.name_zh)} {amount}")


def pickup_slip(doc: PickupSlip, lay: _Layout) -> None:
    """Everything the counter needs on one slip, in the slip's language."""
    p = lay.paper
    lay.header(doc.store, _t(lay, "title"))
    with p.emphasis(tall=True):
        p.pair(f"{_t(lay, 'order_no')}:", doc.order_no)
    p.line(f"{_t(lay, 'pickup_code')}:")
    code = doc.pickup_code
    p.big(" ".join(code) if 2 * len(code) - 1 <= p.width // 2 else code)
    p.pair(f"{_t(lay, 'customer')}:", doc.customer_name)
    if doc.customer_phone:
        p.pair(f"{_t(lay, 'phone')}:", doc.customer_phone)
    with p.emphasis():
        p.pair(f"{_t(lay, 'promised')}:", doc.promised_at.strftime("%Y-%m-%d %H:%M"))
    p.pair(f"{_t(lay, 'printed')}:", lay.when(doc.printed_at))
    if doc.lane or doc.staff:
        p.pair(f"{_t(lay, 'lane')}: {doc.lane}", f"{_t(lay, 'staff')}: {doc.staff}")
    p.rule()
    for line in doc.lines:
        _line(line, lay)
    p.rule()
    p.pair(_t(lay, "subtotal"), lay.money(doc.subtotal))
    if doc.discount:
        p.pair(_t(lay, "discount"), lay.money(-doc.discount))
    with p.emphasis(tall=True):
        p.pair(f"{_t(lay, 'total')} {doc.currency}", lay.money(doc.total))
    p.pair(_t(lay, "paid"), lay.money(doc.paid))
    with p.emphasis(tall=True, invert=doc.due != 0):
        if doc.due > 0:
            p.pair(_t(lay, "to_pay"), lay.money(doc.due))
        elif doc.due < 0:
            p.pair(_t(lay, "to_refund"), lay.money(-doc.due))
        else:
            p.line(_t(lay, "paid_in_full"), align="center")
    if doc.note:
        p.rule()
        p.line(f"{_t(lay, 'note')}: {doc.note}")
    p.blank()
    p.line(f"{_t(lay, 'signature')}:")
    p.blank()
    p.rule("_")
    p.blank()
    p.qr(doc.qr_payload)
    p.barcode(doc.barcode_payload)
