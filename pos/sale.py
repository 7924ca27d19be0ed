"""The sale aggregate: a lane's cart from open to completed or cancelled, and its change log.

Every change bumps `version` (for compare-and-set when the node persists the cart) and
records a past-tense `SaleEvent` for the audit journal; `pull_events()` hands them over.
Any line change drops the applied line discounts: the promotions engine recomputes them and
the node applies them again (`apply_discounts`) in the same command.

The aggregate is layered over three modules to keep each small: `pos.sale_cart` (state,
reading, snapshot, event log), `pos.sale_checkout` (paying and closing) and this one (opening
and changing lines). Everything that used to live here is still importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from pos.catalog import MAX_PRICE, ItemRecord, Unit
from pos.errors import InvalidInput, NotAllowed, NotFound
from pos.sale_cart import MAX_LINES, SaleState
from pos.sale_checkout import SaleCheckout
from pos.sale_customer import MAX_COUPONS, SaleCoupon, SaleMember
from pos.sale_events import SaleEvent, SaleEventName, check_aware
from pos.sale_line import MAX_PIECES, LineSource, PriceOverride, SaleLine, check_pieces
from pos.tax import LineDiscount, StorePricing, Totals
from pos.weighed import check_grams

__all__ = [
    "MAX_LINES",
    "MAX_PIECES",
    "LineSource",
    "PriceOverride",
    "Sale",
    "SaleCoupon",
    "SaleEvent",
    "SaleEventName",
    "SaleLine",
    "SaleMember",
    "SaleState",
    "check_aware",
    "check_pieces",
]


class Sale(SaleCheckout):
    """A sale on a lane. Build with `Sale.open(...)` or `Sale.from_dict(...)`."""

    @classmethod
    def open(
        cls,
        *,
        sale_id: str,
        store_id: str,
        lane_id: str,
        cashier_id: str,
        currency: str,
        pricing: StorePricing,
        at: datetime,
    ) -> Sale:
        """Open an empty sale on a lane."""
        sale = cls(
            sale_id=sale_id,
            store_id=store_id,
            lane_id=lane_id,
            cashier_id=cashier_id,
            currency=currency,
            pricing=pricing,
            opened_at=at,
        )
        sale._record(SaleEventName.SALE_OPENED, at, currency=currency)
        return sale

    # -- changing lines --------------------------------------------------------------------

    def add_item(
        self,
        item: ItemRecord,
        quantity: int = 1,
        *,
        at: datetime,
        source: LineSource = LineSource.SCANNED,
        code: str = "",
    ) -> SaleLine:
        """Add pieces of an item sold each."""
        if item.unit is Unit.KG:
            raise InvalidInput(f"{item.name_en} ({item.sku}) is sold by weight: weigh it")
        return self._add(item, check_pieces(quantity), item.price, False, source, code, "", at)

    def add_weighed(
        self,
        item: ItemRecord,
        grams: int,
        *,
        at: datetime,
        source: LineSource = LineSource.SCALE,
        code: str = "",
        scale_id: str = "",
    ) -> SaleLine:
        """Add a weighed item: grams from the scale (`pos.weighed.weight_from_scale`) or a label."""
        if item.unit is not Unit.KG:
            raise InvalidInput(f"{item.name_en} ({item.sku}) is sold by the piece, not by weight")
        if source not in (LineSource.SCALE, LineSource.LABEL_WEIGHT):
            raise InvalidInput(
                f"a weighed line comes from the scale or a label, not {source.value}"
            )
        grams = check_grams(grams)
        return self._add(item, grams, item.price, True, source, code, scale_id, at)

    def add_labelled_price(
        self, item: ItemRecord, price: int, *, at: datetime, code: str
    ) -> SaleLine:
        """Add one pack whose price is printed in its in-store label barcode."""
        if not 0 < price <= MAX_PRICE:
            raise InvalidInput(f"barcode {code!r} price {price} is out of range")
        return self._add(item, 1, price, False, LineSource.LABEL_PRICE, code, "", at)

    def change_quantity(
        self, line_id: int, quantity: int, *, at: datetime, manager_id: str | None = None
    ) -> SaleLine:
        """Set a piece line's quantity; lowering it once paying has begun needs a manager."""
        old = self._live_line(line_id)
        if old.weighed or old.source is LineSource.LABEL_PRICE:
            raise InvalidInput(
                f"line {line_id} ({old.name_en}) was weighed or labelled: void it and add it again"
            )
        check_pieces(quantity)
        if quantity < old.quantity:
            self._need_manager_after_tender(manager_id, f"lower line {line_id}")
        new = replace(old, quantity=quantity)
        self._commit_line(
            new,
            SaleEventName.LINE_QUANTITY_CHANGED,
            at,
            manager_id,
            line_id=line_id,
            old_quantity=old.quantity,
            quantity=quantity,
        )
        return new

    def void_line(self, line_id: int, *, at: datetime, manager_id: str | None = None) -> SaleLine:
        """Void a line (kept for the audit); once paying has begun this needs a manager."""
        old = self._live_line(line_id)
        self._need_manager_after_tender(manager_id, f"void line {line_id}")
        new = replace(old, voided=True)
        self._commit_line(
            new,
            SaleEventName.LINE_VOIDED,
            at,
            manager_id,
            line_id=line_id,
            sku=old.sku,
            quantity=old.quantity,
            amount=old.amount,
        )
        return new

    def override_price(
        self, line_id: int, unit_price: int, *, manager_id: str, reason: str, at: datetime
    ) -> SaleLine:
        """Set a line's unit price (per kg when weighed); always needs a manager."""
        old = self._live_line(line_id)
        if not manager_id:
            raise NotAllowed(f"price override on line {line_id} needs a manager")
        if not 0 <= unit_price <= MAX_PRICE:
            raise InvalidInput(f"override price {unit_price} must be between 0 and {MAX_PRICE}")
        if not reason.strip():
            raise InvalidInput(f"price override on line {line_id} needs a reason")
        new = replace(old, override=PriceOverride(unit_price, manager_id, reason.strip()))
        self._commit_line(
            new,
            SaleEventName.PRICE_OVERRIDDEN,
            at,
            manager_id,
            line_id=line_id,
            old_price=old.effective_unit_price,
            price=unit_price,
            reason=reason.strip(),
        )
        return new

    # -- who the sale is for -----------------------------------------------------------------

    def attach_member(self, member: SaleMember, *, at: datetime) -> None:
        """Price the sale for a loyalty member (replaces another one); the same member again is a no-op."""
        self._check_open("attach a member")
        if member == self.member:
            return
        before, self.member, self.discounts = self.member, member, {}
        self._record(
            SaleEventName.MEMBER_ATTACHED, at, member=member.to_dict(),
            replaced=None if before is None else before.member_id,
        )

    def detach_member(self, *, at: datetime) -> None:
        """Price the sale for an anonymous shopper again; without a member this is a no-op."""
        self._check_open("detach the member")
        if self.member is None:
            return
        before, self.member, self.discounts = self.member, None, {}
        self._record(SaleEventName.MEMBER_DETACHED, at, member_id=before.member_id)

    def add_coupon(self, coupon: SaleCoupon, *, at: datetime) -> None:
        """Present a coupon code (checked against the promotions by the caller); a repeat is a no-op."""
        self._check_open("add a coupon")
        if coupon.code in self.coupon_codes:
            return
        if len(self.coupons) >= MAX_COUPONS:
            raise InvalidInput(f"a sale takes at most {MAX_COUPONS} coupons: remove one before adding {coupon.code}")
        self.coupons, self.discounts = (*self.coupons, coupon), {}
        self._record(SaleEventName.COUPON_ADDED, at, coupon=coupon.to_dict())

    def remove_coupon(self, code: str, *, at: datetime) -> None:
        """Take a presented coupon off the sale; NotFound naming the code when it is not on it."""
        self._check_open("remove a coupon")
        if code not in self.coupon_codes:
            raise NotFound(f"coupon {code} is not on sale {self.sale_id}")
        self.coupons, self.discounts = tuple(c for c in self.coupons if c.code != code), {}
        self._record(SaleEventName.COUPON_REMOVED, at, code=code)

    def apply_discounts(self, discounts: Mapping[int, LineDiscount], *, at: datetime) -> Totals:
        """Replace the line discounts with the promotions engine's latest; the new totals."""
        self._check_open("apply discounts")
        live = {line.line_id for line in self.active_lines}
        for line_id in discounts:
            if line_id not in live:
                raise InvalidInput(f"discount for line {line_id}, which is not a live line")
        totals = self._checked_totals(self.active_lines, dict(discounts))
        self.discounts = dict(discounts)
        self._totals_memo = (self._totals_key(), totals)
        self._record(
            SaleEventName.DISCOUNTS_APPLIED,
            at,
            lines=sorted(discounts),
            amount=sum(d.amount for d in discounts.values()),
        )
        return totals
