"""Returns without a receipt: the store's policy on the refund price and how it is paid."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pos.catalog import ItemRecord, Unit
from pos.errors import NotAllowed
from pos.money import round_to_step_half_up
from pos.refund import Disposition, Refund, RefundLine, TenderRefund
from pos.sale_events import check_aware
from pos.sale_line import check_pieces
from pos.tax import StorePricing, TaxableLine, compute_totals
from pos.tender import TenderKind
from pos.weighed import check_grams, weighed_amount_half_up


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
