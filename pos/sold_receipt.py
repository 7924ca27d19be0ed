"""A completed sale as returns see it: what each line and each tender actually paid."""

from __future__ import annotations

from dataclasses import dataclass

from pos.errors import Conflict
from pos.sale import Sale, SaleState
from pos.tax import PromotionShare
from pos.tender import TenderKind, net_by_tender


@dataclass(frozen=True, slots=True)
class SoldLine:
    """A line of a completed sale as returns see it: what was actually paid for it."""

    line_id: int
    sku: str
    name_en: str
    name_zh: str
    quantity: int  # pieces, or grams when weighed
    weighed: bool
    tax_class: str
    rate_bp: int
    paid: int  # gross after discounts
    tax: int
    promotions: tuple[PromotionShare, ...] = ()


@dataclass(frozen=True, slots=True)
class PaidTender:
    tender_id: str
    kind: TenderKind
    amount: int  # what the tender really paid (cash less change)
    reference: str = ""


@dataclass(frozen=True, slots=True)
class SoldReceipt:
    sale_id: str
    receipt_no: str
    currency: str
    lines: tuple[SoldLine, ...]
    tenders: tuple[PaidTender, ...]


def receipt_of(sale: Sale) -> SoldReceipt:
    """What a completed sale paid, line by line and tender by tender."""
    if sale.state is not SaleState.COMPLETED or sale.receipt_no is None:
        raise Conflict(
            f"sale {sale.sale_id} is {sale.state.value}: only completed sales are returned"
        )
    totals = {lt.line_id: lt for lt in sale.totals().lines}
    lines = tuple(
        SoldLine(
            line.line_id,
            line.sku,
            line.name_en,
            line.name_zh,
            line.quantity,
            line.weighed,
            line.tax_class,
            totals[line.line_id].rate_bp,
            totals[line.line_id].gross,
            totals[line.line_id].tax,
            sale.discounts[line.line_id].promotions if line.line_id in sale.discounts else (),
        )
        for line in sale.active_lines
    )
    nets = net_by_tender(sale.tenders, sale.settlement())
    tenders = tuple(
        PaidTender(t.tender_id, t.kind, net, t.reference)
        for t, net in zip(sale.tenders, nets, strict=True)
    )
    return SoldReceipt(sale.sale_id, sale.receipt_no, sale.currency, lines, tenders)
