"""Returns: with a receipt at the price actually paid, without one by store policy, exchanges.

With a receipt, returning k of n units refunds `share(k_before + k) - share(k_before)` of what
the line paid (and likewise of its tax and each promotion's discount), where
`share(k) = paid * k / n` rounded half up: several partial returns add up exactly to the line.

Refunds go back to the original tenders in this documented order, each capped at what that
tender paid less what earlier returns already gave back to it:
card -> gift card -> voucher (reissued as store credit) -> cash (exchange credit counts as
cash). The cash part is rounded to the store's cash step, never beyond what cash paid.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pos.catalog import ItemRecord, Unit
from pos.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pos.money import div_round_half_up, round_to_step_half_up
from pos.sale import Sale, SaleState, check_aware, check_pieces
from pos.tax import PromotionShare, StorePricing, TaxableLine, compute_totals
from pos.tender import TenderKind, net_by_tender
from pos.weighed import check_grams, weighed_amount_half_up

REFUND_ORDER = (TenderKind.CARD, TenderKind.GIFT_CARD, TenderKind.VOUCHER, TenderKind.CASH)


class Disposition(enum.StrEnum):
    RESTOCK = "restock"  # back on the shelf: stock goes up
    DAMAGED = "damaged"  # written off: stock moves to damaged, not sellable


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


@dataclass(frozen=True, slots=True)
class ReturnItem:
    """One line the customer brings back: its line on the receipt and how many (or grams)."""

    line_id: int
    quantity: int
    disposition: Disposition = Disposition.RESTOCK


@dataclass(frozen=True, slots=True)
class RefundLine:
    sku: str
    name_en: str
    name_zh: str
    quantity: int
    weighed: bool
    tax_class: str
    rate_bp: int
    amount: int  # gross refunded
    tax: int
    disposition: Disposition
    original_line_id: int | None = None
    promotions: tuple[PromotionShare, ...] = ()  # the discount share given back with the item


@dataclass(frozen=True, slots=True)
class TenderRefund:
    kind: TenderKind
    amount: int
    original_tender_id: str | None = None
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Refund:
    """A completed return: the lines taken back and the money paid out, per tender."""

    return_id: str
    sale_id: str | None
    receipt_no: str | None
    currency: str
    at: datetime
    cashier_id: str
    manager_id: str | None
    lines: tuple[RefundLine, ...]
    tenders: tuple[TenderRefund, ...]
    cash_rounding: int = 0

    @property
    def total(self) -> int:
        """The value of the goods taken back."""
        return sum(line.amount for line in self.lines)

    @property
    def exchange_credit(self) -> int:
        """The part kept to pay for the new goods of an exchange (`pos.tender.exchange_credit`)."""
        return sum(t.amount for t in self.tenders if t.kind is TenderKind.EXCHANGE_CREDIT)

    @property
    def paid_out(self) -> int:
        """What left the store, all tenders together (total + cash rounding)."""
        return sum(t.amount for t in self.tenders)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Refund:
        def promos(items: Sequence[Mapping[str, Any]]) -> tuple[PromotionShare, ...]:
            return tuple(PromotionShare(**p) for p in items)

        lines = tuple(
            RefundLine(
                **{
                    **d,
                    "disposition": Disposition(d["disposition"]),
                    "promotions": promos(d["promotions"]),
                }
            )
            for d in data["lines"]
        )
        tenders = tuple(
            TenderRefund(**{**t, "kind": TenderKind(t["kind"])}) for t in data["tenders"]
        )
        at = datetime.fromisoformat(data["at"])
        return cls(**{**data, "at": at, "lines": lines, "tenders": tenders})


def _share(value: int, units: int, of_units: int) -> int:
    """`value * units / of_units` rounded half up: the part of a line's value for some units."""
    return div_round_half_up(value * units, of_units)


def returned_so_far(receipt: SoldReceipt, previous: Sequence[Refund]) -> dict[int, int]:
    """Units (or grams) already returned per receipt line."""
    done = {line.line_id: 0 for line in receipt.lines}
    for refund in previous:
        if refund.sale_id != receipt.sale_id:
            continue
        for line in refund.lines:
            if line.original_line_id in done:
                done[line.original_line_id] += line.quantity
    return done


def allocate_refund(
    amount: int,
    tenders: Sequence[PaidTender],
    previous: Sequence[Refund],
    cash_step: int = 1,
) -> tuple[tuple[TenderRefund, ...], int]:
    """Split `amount` over the original tenders in REFUND_ORDER; returns (parts, cash rounding)."""
    given: dict[str, int] = {}
    for refund in previous:
        for part in refund.tenders:
            if part.original_tender_id is not None:
                key = part.original_tender_id
                given[key] = given.get(key, 0) + part.amount
    left, parts, rounding = amount, [], 0
    cashlike = [t for t in tenders if t.kind in (TenderKind.CASH, TenderKind.EXCHANGE_CREDIT)]
    for kind in REFUND_ORDER[:-1]:
        for tender in (t for t in tenders if t.kind is kind):
            take = min(left, tender.amount - given.get(tender.tender_id, 0))
            if take > 0:
                parts.append(TenderRefund(kind, take, tender.tender_id, tender.reference))
                left -= take
    if left > 0:
        cap = sum(t.amount - given.get(t.tender_id, 0) for t in cashlike)
        cash = min(round_to_step_half_up(left, cash_step), max(cap, 0))
        rounding = cash - left
        first = next((t.tender_id for t in cashlike if t.amount > given.get(t.tender_id, 0)), None)
        if cash > 0:
            parts.append(TenderRefund(TenderKind.CASH, cash, first))
    return tuple(parts), rounding


def return_with_receipt(
    *,
    return_id: str,
    receipt: SoldReceipt,
    items: Sequence[ReturnItem],
    previous: Sequence[Refund],
    cashier_id: str,
    at: datetime,
    cash_step: int = 1,
    exchange_amount: int = 0,
    manager_id: str | None = None,
) -> Refund:
    """Refund items from a receipt at the price paid; `exchange_amount` stays as exchange credit."""
    check_aware(at)
    if not items:
        raise InvalidInput("nothing to return: pick at least one line from the receipt")
    previous = [refund for refund in previous if refund.sale_id == receipt.sale_id]
    sold = {line.line_id: line for line in receipt.lines}
    done = returned_so_far(receipt, previous)
    lines: list[RefundLine] = []
    seen: set[int] = set()
    for item in items:
        line = sold.get(item.line_id)
        if line is None:
            raise NotFound(f"line {item.line_id} is not on receipt {receipt.receipt_no}")
        if item.line_id in seen:
            raise InvalidInput(f"line {item.line_id} is listed twice in this return")
        seen.add(item.line_id)
        if line.weighed:
            check_grams(item.quantity, "returned weight")
        else:
            check_pieces(item.quantity)
        before, left = done[line.line_id], line.quantity - done[line.line_id]
        if item.quantity > left:
            unit = "g" if line.weighed else "pcs"
            raise Conflict(
                f"{line.name_en} on receipt {receipt.receipt_no}: {item.quantity} {unit} asked, "
                f"{left} {unit} left to return ({before} {unit} already returned)"
            )
        after = before + item.quantity

        def part(
            value: int, line: SoldLine = line, after: int = after, before: int = before
        ) -> int:
            return _share(value, after, line.quantity) - _share(value, before, line.quantity)

        promos = tuple(replace(p, amount=part(p.amount)) for p in line.promotions)
        lines.append(
            RefundLine(
                line.sku,
                line.name_en,
                line.name_zh,
                item.quantity,
                line.weighed,
                line.tax_class,
                line.rate_bp,
                part(line.paid),
                part(line.tax),
                item.disposition,
                line.line_id,
                promos,
            )
        )
    total = sum(line.amount for line in lines)
    if exchange_amount < 0:
        raise InvalidInput(f"exchange amount {exchange_amount} is negative")
    credit = min(exchange_amount, total)
    parts, rounding = allocate_refund(total - credit, receipt.tenders, previous, cash_step)
    if credit:
        parts = (TenderRefund(TenderKind.EXCHANGE_CREDIT, credit, None, return_id), *parts)
    return Refund(
        return_id,
        receipt.sale_id,
        receipt.receipt_no,
        receipt.currency,
        at,
        cashier_id,
        manager_id,
        tuple(lines),
        parts,
        rounding,
    )


class NoReceiptBasis(enum.StrEnum):
    CURRENT_PRICE = "current_price"
    LOWEST_RECENT_PRICE = "lowest_recent_price"  # lowest price in effect in the last N days


@dataclass(frozen=True, slots=True)
class NoReceiptPolicy:
    basis: NoReceiptBasis = NoReceiptBasis.LOWEST_RECENT_PRICE
    days: int = 30
    refund_as: TenderKind = TenderKind.CASH  # or GIFT_CARD for store credit only


@dataclass(frozen=True, slots=True)
class PriceChange:
    """A price that took effect at a time (the item's price history)."""

    effective_from: datetime
    price: int


def no_receipt_unit_price(
    current_price: int, history: Sequence[PriceChange], policy: NoReceiptPolicy, at: datetime
) -> int:
    """The unit price a no-receipt return refunds at, by the store's policy."""
    if policy.basis is NoReceiptBasis.CURRENT_PRICE:
        return current_price
    start = at - timedelta(days=policy.days)
    in_window = [c.price for c in history if start < c.effective_from <= at]
    before = [c for c in history if c.effective_from <= start]
    if before:
        in_window.append(max(before, key=lambda c: c.effective_from).price)
    return min([current_price, *in_window])


def return_without_receipt(
    *,
    return_id: str,
    item: ItemRecord,
    quantity: int,
    policy: NoReceiptPolicy,
    history: Sequence[PriceChange],
    pricing: StorePricing,
    currency: str,
    cashier_id: str,
    manager_id: str | None,
    at: datetime,
    disposition: Disposition = Disposition.RESTOCK,
) -> Refund:
    """Refund an item brought back without a receipt; needs a manager."""
    check_aware(at)
    if not manager_id:
        raise NotAllowed(f"returning {item.name_en} without a receipt needs a manager")
    weighed = item.unit is Unit.KG
    if weighed:
        check_grams(quantity, "returned weight")
    else:
        check_pieces(quantity)
    unit_price = no_receipt_unit_price(item.price, history, policy, at)
    amount = weighed_amount_half_up(unit_price, quantity) if weighed else unit_price * quantity
    line_tax = compute_totals([TaxableLine(1, item.tax_class, amount)], pricing).lines[0]
    line = RefundLine(
        item.sku,
        item.name_en,
        item.name_zh,
        quantity,
        weighed,
        item.tax_class,
        line_tax.rate_bp,
        line_tax.gross,
        line_tax.tax,
        disposition,
    )
    paid, rounding = line_tax.gross, 0
    if policy.refund_as is TenderKind.CASH:
        paid = round_to_step_half_up(line_tax.gross, pricing.cash_rounding_step)
        rounding = paid - line_tax.gross
    return Refund(
        return_id,
        None,
        None,
        currency,
        at,
        cashier_id,
        manager_id,
        (line,),
        (TenderRefund(policy.refund_as, paid),),
        rounding,
    )
