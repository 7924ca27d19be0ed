"""The sale aggregate: a lane's cart from open to completed or cancelled, and its change log.

Every change bumps `version` (for compare-and-set when the node persists the cart) and
records a past-tense `SaleEvent` for the audit journal; `pull_events()` hands them over.
Any line change drops the applied line discounts: the promotions engine recomputes them and
the node applies them again (`apply_discounts`) in the same command.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from pos.catalog import MAX_PRICE, ItemRecord, Unit
from pos.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pos.money import format_minor
from pos.tax import LineDiscount, StorePricing, TaxableLine, Totals, compute_totals
from pos.tender import Settlement, Tender, TenderKind, accept_tender, settle
from pos.weighed import check_grams, weighed_amount_half_up

MAX_PIECES = 999
MAX_LINES = 500


class SaleState(enum.StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class LineSource(enum.StrEnum):
    SCANNED = "scanned"
    KEYED = "keyed"
    SCALE = "scale"  # weight read from the lane scale
    LABEL_WEIGHT = "label_weight"  # weight embedded in an in-store label
    LABEL_PRICE = "label_price"  # price embedded in an in-store label


@dataclass(frozen=True, slots=True)
class PriceOverride:
    unit_price: int
    manager_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SaleLine:
    """One line; quantity is pieces, or grams when `weighed` (then unit_price is per kg)."""

    line_id: int
    sku: str
    name_en: str
    name_zh: str
    quantity: int
    unit_price: int
    tax_class: str
    category: str = ""
    brand: str = ""
    weighed: bool = False
    source: LineSource = LineSource.SCANNED
    code: str = ""  # the barcode scanned or the PLU / SKU keyed
    scale_id: str = ""
    override: PriceOverride | None = None
    voided: bool = False

    @property
    def effective_unit_price(self) -> int:
        return self.override.unit_price if self.override else self.unit_price

    @property
    def amount(self) -> int:
        """Shelf amount before discounts (weighed: per-kg price x grams, rounded half up)."""
        if self.weighed:
            return weighed_amount_half_up(self.effective_unit_price, self.quantity)
        return self.effective_unit_price * self.quantity

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["source"] = self.source.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SaleLine:
        override = data.get("override")
        return cls(
            **{
                **data,
                "source": LineSource(data["source"]),
                "override": PriceOverride(**override) if override else None,
            }
        )


class SaleEventName(enum.StrEnum):
    SALE_OPENED = "SaleOpened"
    LINE_ADDED = "LineAdded"
    LINE_QUANTITY_CHANGED = "LineQuantityChanged"
    LINE_VOIDED = "LineVoided"
    PRICE_OVERRIDDEN = "PriceOverridden"
    DISCOUNTS_APPLIED = "DiscountsApplied"
    TENDER_ADDED = "TenderAdded"
    TENDER_VOIDED = "TenderVoided"
    SALE_SUSPENDED = "SaleSuspended"
    SALE_RESUMED = "SaleResumed"
    SALE_CANCELLED = "SaleCancelled"
    SALE_COMPLETED = "SaleCompleted"


@dataclass(frozen=True, slots=True)
class SaleEvent:
    """Something that happened to a sale, with who did it (and which manager approved it)."""

    name: SaleEventName
    sale_id: str
    version: int
    at: datetime
    cashier_id: str
    lane_id: str
    manager_id: str | None
    data: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The journal payload: JSON-able, times as ISO 8601."""
        return {
            "name": self.name.value,
            "sale_id": self.sale_id,
            "version": self.version,
            "at": self.at.isoformat(),
            "cashier_id": self.cashier_id,
            "lane_id": self.lane_id,
            "manager_id": self.manager_id,
            "data": dict(self.data),
        }


def check_aware(at: datetime) -> datetime:
    """`at` itself, or InvalidInput when it has no time zone (rules never guess one)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"time {at.isoformat()} has no time zone")
    return at


def check_pieces(quantity: int) -> int:
    """A piece count within 1..999; InvalidInput naming the quantity otherwise."""
    if quantity <= 0:
        raise InvalidInput(f"quantity {quantity} must be at least 1")
    if quantity > MAX_PIECES:
        raise InvalidInput(f"quantity {quantity} is above the maximum {MAX_PIECES} pieces")
    return quantity


class Sale:
    """A sale on a lane. Build with `Sale.open(...)` or `Sale.from_dict(...)`."""

    def __init__(
        self,
        *,
        sale_id: str,
        store_id: str,
        lane_id: str,
        cashier_id: str,
        currency: str,
        pricing: StorePricing,
        opened_at: datetime,
        state: SaleState = SaleState.OPEN,
        lines: list[SaleLine] | None = None,
        discounts: dict[int, LineDiscount] | None = None,
        tenders: list[Tender] | None = None,
        version: int = 0,
        receipt_no: str | None = None,
        closed_at: datetime | None = None,
    ) -> None:
        self.sale_id, self.store_id, self.lane_id = sale_id, store_id, lane_id
        self.cashier_id, self.currency, self.pricing = cashier_id, currency, pricing
        self.opened_at, self.state, self.version = check_aware(opened_at), state, version
        self.lines: list[SaleLine] = list(lines or [])
        self.discounts: dict[int, LineDiscount] = dict(discounts or {})
        self.tenders: list[Tender] = list(tenders or [])
        self.receipt_no, self.closed_at = receipt_no, closed_at
        self._events: list[SaleEvent] = []

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

    # -- reading ---------------------------------------------------------------------------

    @property
    def active_lines(self) -> list[SaleLine]:
        return [line for line in self.lines if not line.voided]

    def line(self, line_id: int) -> SaleLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise NotFound(f"line {line_id} is not on sale {self.sale_id}")

    def totals(self) -> Totals:
        return self._totals(self.active_lines, self.discounts)

    def settlement(self) -> Settlement:
        return settle(self.totals().total, self.tenders, self.pricing.cash_rounding_step)

    def pull_events(self) -> list[SaleEvent]:
        """The events recorded since the last pull, oldest first (for the journal)."""
        events, self._events = self._events, []
        return events

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

    def apply_discounts(self, discounts: Mapping[int, LineDiscount], *, at: datetime) -> Totals:
        """Replace the line discounts with the promotions engine's latest; the new totals."""
        self._check_open("apply discounts")
        live = {line.line_id for line in self.active_lines}
        for line_id in discounts:
            if line_id not in live:
                raise InvalidInput(f"discount for line {line_id}, which is not a live line")
        totals = self._checked_totals(self.active_lines, dict(discounts))
        self.discounts = dict(discounts)
        self._record(
            SaleEventName.DISCOUNTS_APPLIED,
            at,
            discounts={str(k): v.to_dict() for k, v in sorted(discounts.items())},
        )
        return totals

    # -- paying and closing ----------------------------------------------------------------

    def add_tender(self, tender: Tender, *, at: datetime) -> Settlement:
        """Take a payment (build it with `pos.tender.cash/card/stored_value`)."""
        self._check_open("take a payment")
        if not self.active_lines:
            raise InvalidInput("the sale is empty: add an item before taking payment")
        after = accept_tender(
            self.totals().total,
            self.tenders,
            tender,
            currency=self.currency,
            cash_step=self.pricing.cash_rounding_step,
        )
        self.tenders.append(tender)
        self._record(SaleEventName.TENDER_ADDED, at, tender=tender.to_dict())
        return after

    def void_tender(self, tender_id: str, *, at: datetime, manager_id: str | None = None) -> Tender:
        """Take a payment back off the sale (the card terminal reversal happens outside)."""
        self._check_open("void a payment")
        found = [t for t in self.tenders if t.tender_id == tender_id]
        if not found:
            raise NotFound(f"tender {tender_id} is not on sale {self.sale_id}")
        if found[0].kind is not TenderKind.CASH and not manager_id:
            raise NotAllowed(f"voiding the {found[0].kind.value} payment needs a manager")
        self.tenders.remove(found[0])
        self._record(SaleEventName.TENDER_VOIDED, at, manager_id, tender=found[0].to_dict())
        return found[0]

    def suspend(self, *, at: datetime) -> None:
        """Park the sale so any lane can resume it."""
        self._check_open("suspend")
        if self.tenders:
            raise Conflict("a sale with payments cannot be suspended: void the payments first")
        if not self.active_lines:
            raise InvalidInput("an empty sale cannot be suspended: cancel it instead")
        self.state = SaleState.SUSPENDED
        self._record(SaleEventName.SALE_SUSPENDED, at)

    def resume(self, *, lane_id: str, cashier_id: str, at: datetime) -> None:
        """Resume a suspended sale on a lane (a second resume gets Conflict)."""
        if self.state is not SaleState.SUSPENDED:
            raise Conflict(
                f"sale {self.sale_id} is {self.state.value} on lane {self.lane_id}, not suspended"
            )
        self.state, self.lane_id, self.cashier_id = SaleState.OPEN, lane_id, cashier_id
        self._record(SaleEventName.SALE_RESUMED, at)

    def cancel(self, *, at: datetime, manager_id: str | None = None) -> None:
        """Cancel an open or suspended sale that has no payments."""
        if self.state not in (SaleState.OPEN, SaleState.SUSPENDED):
            raise Conflict(f"sale {self.sale_id} is already {self.state.value}")
        if self.tenders:
            raise Conflict("the sale has payments: void them before cancelling")
        self.state, self.closed_at = SaleState.CANCELLED, check_aware(at)
        self._record(
            SaleEventName.SALE_CANCELLED,
            at,
            manager_id,
            lines=len(self.active_lines),
            total=self.totals().total,
        )

    def complete(self, *, receipt_no: str, at: datetime) -> SaleEvent:
        """Close a fully paid sale; the SaleCompleted event carries totals and tenders."""
        self._check_open("complete")
        if not receipt_no.strip():
            raise InvalidInput("a completed sale needs a receipt number")
        if not self.active_lines:
            raise InvalidInput("cannot complete an empty sale")
        totals, settlement = self.totals(), self.settlement()
        if not settlement.settled:
            raise Conflict(
                f"sale {self.sale_id} is underpaid: {format_minor(settlement.balance_due)} "
                f"{self.currency} still due"
            )
        self.state, self.receipt_no, self.closed_at = (
            SaleState.COMPLETED,
            receipt_no,
            check_aware(at),
        )
        return self._record(
            SaleEventName.SALE_COMPLETED,
            at,
            receipt_no=receipt_no,
            total=totals.total,
            tax=totals.tax,
            discount=totals.discount,
            cash_rounding=settlement.cash_rounding,
            change=settlement.change,
            paid=settlement.paid,
        )

    # -- persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot of the whole cart (pending events are not part of it)."""
        return {
            "schema": 1,
            "sale_id": self.sale_id,
            "store_id": self.store_id,
            "lane_id": self.lane_id,
            "cashier_id": self.cashier_id,
            "currency": self.currency,
            "pricing": self.pricing.to_dict(),
            "opened_at": self.opened_at.isoformat(),
            "state": self.state.value,
            "version": self.version,
            "receipt_no": self.receipt_no,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "lines": [line.to_dict() for line in self.lines],
            "discounts": [{"line_id": k, **v.to_dict()} for k, v in sorted(self.discounts.items())],
            "tenders": [t.to_dict() for t in self.tenders],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sale:
        """Rebuild a sale saved by `to_dict`; InvalidInput when the snapshot is unreadable."""
        try:
            closed = data["closed_at"]
            return cls(
                sale_id=data["sale_id"],
                store_id=data["store_id"],
                lane_id=data["lane_id"],
                cashier_id=data["cashier_id"],
                currency=data["currency"],
                pricing=StorePricing.from_dict(data["pricing"]),
                opened_at=datetime.fromisoformat(data["opened_at"]),
                state=SaleState(data["state"]),
                version=int(data["version"]),
                lines=[SaleLine.from_dict(d) for d in data["lines"]],
                discounts={int(d["line_id"]): LineDiscount.from_dict(d) for d in data["discounts"]},
                tenders=[Tender.from_dict(d) for d in data["tenders"]],
                receipt_no=data["receipt_no"],
                closed_at=datetime.fromisoformat(closed) if closed else None,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInput(f"saved sale is unreadable: {err}") from None

    # -- internals -------------------------------------------------------------------------

    def _add(
        self,
        item: ItemRecord,
        quantity: int,
        unit_price: int,
        weighed: bool,
        source: LineSource,
        code: str,
        scale_id: str,
        at: datetime,
    ) -> SaleLine:
        self._check_open("add an item")
        if not item.active:
            raise NotAllowed(f"{item.name_en} ({item.sku}) is not for sale (inactive)")
        self.pricing.rate_bp(item.tax_class)
        if len(self.lines) >= MAX_LINES:
            raise InvalidInput(f"a sale holds at most {MAX_LINES} lines: complete this one first")
        line_id = max((line.line_id for line in self.lines), default=0) + 1
        line = SaleLine(
            line_id,
            item.sku,
            item.name_en,
            item.name_zh,
            quantity,
            unit_price,
            item.tax_class,
            item.category,
            item.brand,
            weighed,
            source,
            code,
            scale_id,
        )
        self.lines.append(line)
        self.discounts = {}
        self._record(SaleEventName.LINE_ADDED, at, line=line.to_dict())
        return line

    def _live_line(self, line_id: int) -> SaleLine:
        self._check_open("change a line")
        line = self.line(line_id)
        if line.voided:
            raise Conflict(f"line {line_id} ({line.name_en}) is already voided")
        return line

    def _need_manager_after_tender(self, manager_id: str | None, what: str) -> None:
        if self.tenders and not manager_id:
            raise NotAllowed(f"payment has begun: a manager must approve to {what}")

    def _commit_line(
        self,
        new: SaleLine,
        name: SaleEventName,
        at: datetime,
        manager_id: str | None,
        **data: Any,
    ) -> None:
        lines = [new if line.line_id == new.line_id else line for line in self.lines]
        self._checked_totals([line for line in lines if not line.voided], {})
        self.lines, self.discounts = lines, {}
        self._record(name, at, manager_id, **data)

    def _totals(self, lines: list[SaleLine], discounts: Mapping[int, LineDiscount]) -> Totals:
        taxable = [
            TaxableLine(
                line.line_id,
                line.tax_class,
                line.amount,
                discounts[line.line_id].amount if line.line_id in discounts else 0,
            )
            for line in lines
        ]
        return compute_totals(taxable, self.pricing)

    def _checked_totals(self, lines: list[SaleLine], discounts: dict[int, LineDiscount]) -> Totals:
        totals = self._totals(lines, discounts)
        paid = sum(t.amount for t in self.tenders if t.kind is not TenderKind.CASH)
        if paid > totals.total:
            raise Conflict(
                f"the new total {format_minor(totals.total)} is below the {format_minor(paid)} "
                "already paid by card/voucher: void that payment first"
            )
        return totals

    def _check_open(self, action: str) -> None:
        if self.state is not SaleState.OPEN:
            raise Conflict(f"cannot {action}: sale {self.sale_id} is {self.state.value}")

    def _record(
        self, name: SaleEventName, at: datetime, manager_id: str | None = None, **data: Any
    ) -> SaleEvent:
        self.version += 1
        event = SaleEvent(
            name,
            self.sale_id,
            self.version,
            check_aware(at),
            self.cashier_id,
            self.lane_id,
            manager_id,
            data,
        )
        self._events.append(event)
        return event
