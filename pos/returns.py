"""Returns: with a receipt at the price actually paid, without one by store policy, exchanges.

With a receipt, returning k of n units refunds `share(k_before + k) - share(k_before)` of what
the line paid (and likewise of its tax and each promotion's discount), where
`share(k) = paid * k / n` rounded half up: several partial returns add up exactly to the line.

Refunds go back to the original tenders in this documented order, each capped at what that
tender paid less what earlier returns already gave back to it:
card -> gift card -> voucher (reissued as store credit) -> cash (exchange credit counts as
cash). The cash part is rounded to the store's cash step, never beyond what cash paid.

Returns without a receipt follow the store's policy in `pos.return_policy`; the receipt and
refund records live in `pos.sold_receipt` and `pos.refund`. All stay importable from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from pos.errors import Conflict, InvalidInput, NotFound
from pos.money import div_round_half_up, round_to_step_half_up
from pos.refund import Disposition, Refund, RefundLine, TenderRefund
from pos.return_policy import (
    NoReceiptBasis,
    NoReceiptPolicy,
    PriceChange,
    no_receipt_unit_price,
    return_without_receipt,
)
from pos.sale_events import check_aware
from pos.sale_line import check_pieces
from pos.sold_receipt import PaidTender, SoldLine, SoldReceipt, receipt_of
from pos.tender import TenderKind
from pos.weighed import check_grams

__all__ = [
    "REFUND_ORDER",
    "Disposition",
    "NoReceiptBasis",
    "NoReceiptPolicy",
    "PaidTender",
    "PriceChange",
    "Refund",
    "RefundLine",
    "ReturnItem",
    "SoldLine",
    "SoldReceipt",
    "TenderRefund",
    "allocate_refund",
    "no_receipt_unit_price",
    "receipt_of",
    "return_with_receipt",
    "return_without_receipt",
    "returned_so_far",
]

REFUND_ORDER = (TenderKind.CARD, TenderKind.GIFT_CARD, TenderKind.VOUCHER, TenderKind.CASH)


@dataclass(frozen=True, slots=True)
class ReturnItem:
    """One line the customer brings back: its line on the receipt and how many (or grams)."""

    line_id: int
    quantity: int
    disposition: Disposition = Disposition.RESTOCK


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
