"""What the node prints, as `pos.receipt` documents: a completed sale's receipt, a return slip,
a shift's X or Z report, an online order's pick-up slip. Built from what the ledger recorded (or
the order as given), with the store's header, language and local time from settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from edge.settings import Settings
from pos import receipt as doc
from pos.money import div_round_half_up
from pos.pickup_slip import PickupLine, PickupSlip, mask_phone
from pos.refund import Refund
from pos.sale import Sale
from pos.shift import ShiftFact
from pos.shift_facts import ReturnRecorded, SaleRecorded
from pos.shift_report import ShiftReport
from pos.tax import LineDiscount
from pos.tender import TenderKind

_TENDER_KINDS = {
    TenderKind.CASH: doc.TenderKind.CASH,
    TenderKind.CARD: doc.TenderKind.CARD,
    TenderKind.VOUCHER: doc.TenderKind.VOUCHER,
}
_OTHER_LABELS = {TenderKind.GIFT_CARD: "gift card", TenderKind.EXCHANGE_CREDIT: "exchange"}


class DocumentBuilder:
    """Turns ledger records into printable documents for one store's settings."""

    def __init__(self, settings: Settings) -> None:
        store = settings.store
        self.store = doc.StoreHeader(store.name_en, store.name_zh, store.address, store.tax_id)
        self.language = doc.Language(store.language)
        self.zone = ZoneInfo(store.timezone)
        self.currency = store.currency
        self.exponent = store.currency_exponent

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def _promotions(self, discount: LineDiscount | None) -> tuple[doc.AppliedPromotion, ...]:
        if discount is None or discount.amount == 0:
            return ()
        zh = self.language is doc.Language.ZH
        shares = [
            doc.AppliedPromotion((p.name_zh if zh else p.name_en) or p.name_en or p.name_zh or p.promotion_id,
                                 p.amount, p.promotion_id)
            for p in discount.promotions if p.amount
        ]
        return tuple(shares) or (doc.AppliedPromotion("优惠" if zh else "Discount", discount.amount),)

    def _tender(self, kind: TenderKind, amount: int, reference: str) -> doc.Tender:
        mapped = _TENDER_KINDS.get(kind, doc.TenderKind.OTHER)
        label = _OTHER_LABELS.get(kind, "")
        text = f"{label} {reference}".strip() if label else reference
        return doc.Tender(mapped, amount, text[:40])

    def receipt(self, record: Mapping[str, Any]) -> doc.Receipt:
        """The customer's receipt of a completed sale (`Completion`'s journal record)."""
        sale = Sale.from_dict(record["sale"])
        totals, settlement = record["totals"], record["settlement"]
        lines = tuple(
            doc.ReceiptLine(
                line.name_en, line.name_zh, line.effective_unit_price, line.amount,
                quantity=1 if line.weighed else line.quantity,
                grams=line.quantity if line.weighed else None,
                discounts=self._promotions(sale.discounts.get(line.line_id)),
                tax_class=line.tax_class, sku=line.sku,
            )
            for line in sale.active_lines
        )
        return doc.Receipt(
            store=self.store, receipt_no=str(record["receipt_no"]), lane=sale.lane_id, cashier=sale.cashier_id,
            at=self.local(sale.closed_at or sale.opened_at), lines=lines, taxes=_tax_lines(totals["classes"]),
            subtotal=int(totals["subtotal"]), discount=int(totals["discount"]), total=int(totals["total"]),
            tenders=tuple(self._tender(t.kind, t.amount, t.reference) for t in sale.tenders),
            change=int(settlement["change"]), cash_rounding=int(settlement["cash_rounding"]),
            prices_include_tax=sale.pricing.prices_include_tax, language=self.language,
            currency=sale.currency, currency_exponent=self.exponent,
        )

    def return_slip(self, refund: Refund, lane: int) -> doc.ReturnSlip:
        """The slip the customer signs for a return (refund rounding is taken off the cash line)."""
        lines = []
        by_class: dict[str, list[int]] = {}
        for line in refund.lines:
            unit = div_round_half_up(line.amount * 1000, line.quantity) if line.weighed else div_round_half_up(line.amount, line.quantity)
            lines.append(doc.ReceiptLine(
                line.name_en, line.name_zh, unit, line.amount, quantity=1 if line.weighed else line.quantity,
                grams=line.quantity if line.weighed else None, tax_class=line.tax_class, sku=line.sku,
            ))
            acc = by_class.setdefault(line.tax_class, [line.rate_bp, 0, 0])
            acc[1] += line.tax
            acc[2] += line.amount
        rounding = refund.cash_rounding
        refunds = []
        for tender in refund.tenders:
            amount = tender.amount
            if rounding and tender.kind is TenderKind.CASH:
                amount, rounding = amount - rounding, 0
            refunds.append(self._tender(tender.kind, amount, tender.reference))
        taxes = tuple(doc.TaxLine(code, rate, gross - tax, tax, gross) for code, (rate, tax, gross) in sorted(by_class.items()))
        return doc.ReturnSlip(
            store=self.store, slip_no=refund.return_id[:18].upper(), original_receipt_no=refund.receipt_no or "",
            lane=str(lane), cashier=refund.cashier_id, at=self.local(refund.at), lines=tuple(lines),
            total=refund.total, refunds=tuple(refunds), taxes=taxes, approved_by=refund.manager_id or "",
            language=self.language, currency=refund.currency, currency_exponent=self.exponent,
        )

    def shift_report(self, report: ShiftReport, facts: Sequence[ShiftFact]) -> doc.ShiftReport:
        """The Z report printed when a shift closes, or an X report (the shift so far) when asked."""
        counts: dict[TenderKind, int] = {}
        for fact in facts:
            if isinstance(fact, SaleRecorded | ReturnRecorded):
                for kind in {t.kind for t in fact.tenders}:
                    counts[kind] = counts.get(kind, 0) + 1
        tenders = [doc.TenderTotal(_TENDER_KINDS.get(t.kind, doc.TenderKind.OTHER), counts.get(t.kind, 0), t.net)
                   for t in report.tenders]
        report_kind = doc.ReportKind.Z if report.z_number is not None else doc.ReportKind.X
        number = f"Z{report.z_number:06d}" if report.z_number is not None else "X"
        return doc.ShiftReport(
            kind=report_kind, store=self.store, report_no=number, lane=report.lane_id, cashier=report.cashier_id,
            opened_at=self.local(report.opened_at), at=self.local(report.as_of), sales_count=report.sales_count,
            returns_count=report.returns_count, gross_sales=report.sales_total + report.discount_total,
            discounts=report.discount_total, returns=report.returns_total, net_sales=report.net_sales,
            taxes=tuple(doc.TaxLine(c.tax_class, c.rate_bp, c.net, c.tax, c.gross) for c in report.tax),
            tenders=tuple(tenders), opening_float=report.opening_float, cash_expected=report.expected_cash,
            cash_counted=report.counted_cash, voids_count=report.voided_lines, no_sale_count=report.no_sales,
            language=self.language, currency=self.currency, currency_exponent=self.exponent,
        )

    def pickup_slip(
        self, *, order_no: str, pickup_code: str, customer_name: str, customer_phone: str, promised_at: datetime,
        lines: Sequence[PickupLine], subtotal: int, discount: int, total: int, paid: int, lane: int, staff: str,
        printed_at: datetime, note: str = "", language: doc.Language | None = None,
    ) -> PickupSlip:
        """An online order's pick-up slip: times in store-local time, the phone masked to its last
        4 digits before it is stored anywhere, in the order's language or else the store's."""
        return PickupSlip(
            store=self.store, order_no=order_no, pickup_code=pickup_code, customer_name=customer_name,
            customer_phone=mask_phone(customer_phone) if customer_phone else "",
            promised_at=self.local(promised_at), printed_at=self.local(printed_at), lines=tuple(lines),
            subtotal=subtotal, discount=discount, total=total, paid=paid, lane=str(lane), staff=staff, note=note,
            language=language or self.language, currency=self.currency, currency_exponent=self.exponent,
        )


def _tax_lines(classes: Iterable[Mapping[str, Any]]) -> tuple[doc.TaxLine, ...]:
    return tuple(
        doc.TaxLine(str(c["tax_class"]), int(c["rate_bp"]), int(c["net"]), int(c["tax"]), int(c["gross"]))
        for c in classes
    )
