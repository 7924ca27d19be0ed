"""Checkout: the lane's sale commands, each one SQLite transaction that saves the whole cart.

Every change to a cart is persisted (a restart resumes it); voids, overrides, cancels and
tender voids are journal rows naming the cashier and the approving manager. Completion
lives in edge.completion.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlmodel import Session, col, select

from edge import catalog
from edge.cart_view import cart_from_saved, saved_cart
from edge.clock import to_utc_text, utc_now
from edge.ledger import Ledger, UnitOfWork, driver
from edge.members import member_for_sale
from edge.requests import Replayed, claim_request
from edge.sale_tables import OpenSaleRow, SaleRow, ShiftRow, StoredValueRow, sale_record
from edge.settings import Settings
from pos import tender as tenders
from pos.errors import Conflict, InvalidInput, NotFound
from pos.sale import LineSource, Sale, SaleCoupon, SaleEvent, SaleEventName, SaleState
from pos.sale_customer import coupon_code
from pos.tax import LineDiscount, StorePricing, TaxRounding
from pos.tender import Tender, TenderKind
from pos.weighed import (
    EmbeddedValue,
    ScaleReading,
    is_label_barcode,
    parse_label_barcode,
    parse_label_layout,
    weight_from_scale,
)

T = TypeVar("T")

# Sale events that are business facts for the audit trail (the rest live in the cart itself).
AUDITED = {
    SaleEventName.LINE_VOIDED: "sale.line_voided",
    SaleEventName.PRICE_OVERRIDDEN: "sale.price_overridden",
    SaleEventName.TENDER_VOIDED: "sale.tender_voided",
    SaleEventName.SALE_CANCELLED: "sale.cancelled",
}


MAX_CACHED_CARTS = 256


class Repricer(Protocol):
    """Prices a cart's promotions: the line discounts for its live lines."""

    def prepare(self) -> None:
        """Get the newest promotions ready; called before a command takes the write turn, so
        loading a new bundle never holds up the other lanes' writes."""

    def ready(self) -> bool:
        """Whether `prepare` has nothing to do now (a command may join a group already writing)."""

    def discounts_for(self, sale: Sale, at: datetime) -> dict[int, LineDiscount]: ...

    def coupon_for(self, sale: Sale, code: str, at: datetime) -> SaleCoupon: ...


class _AsItIs(Exception):
    """A command that changes nothing after all (a retried request): its answer is the cart as it is."""

    def __init__(self, sale: Sale) -> None:
        super().__init__(sale.sale_id)
        self.sale = sale


class NoPromotions:
    def prepare(self) -> None:
        pass

    def ready(self) -> bool:
        return True

    def discounts_for(self, sale: Sale, at: datetime) -> dict[int, LineDiscount]:
        return {}

    def coupon_for(self, sale: Sale, code: str, at: datetime) -> SaleCoupon:
        raise NotFound(f"coupon {code}: no active promotion takes this code")


@dataclass(frozen=True)
class TenderRequest:
    tender_id: str
    kind: TenderKind
    amount: int
    currency: str
    reference: str = ""
    code: str = ""


def store_pricing(settings: Settings) -> StorePricing:
    return StorePricing(
        tax_rates_bp={t.code: t.rate_bp for t in settings.tax_classes},
        prices_include_tax=settings.pricing.prices_include_tax,
        tax_rounding=TaxRounding(settings.pricing.tax_rounding),
        cash_rounding_step=settings.pricing.cash_rounding_step,
    )


def open_shift_on(session: Session, lane: int) -> ShiftRow:
    row = session.exec(select(ShiftRow).where(ShiftRow.lane == lane, ShiftRow.state == "open")).first()
    if row is None:
        raise Conflict(f"no shift is open on lane {lane}: open one with a float first")
    return row


def open_shift_id(db: sqlite3.Connection, lane: int) -> str:
    found = db.execute("SELECT shift_id FROM shift WHERE lane = ? AND state = 'open'", (lane,)).fetchone()
    if found is None:
        raise Conflict(f"no shift is open on lane {lane}: open one with a float first")
    return str(found[0])


def missing_sale(db: sqlite3.Connection, sale_id: str) -> Exception:
    """The error for a sale that is not open or suspended: completed already, or unknown."""
    done = db.execute("SELECT receipt_no FROM sale WHERE sale_id = ?", (sale_id,)).fetchone()
    if done is not None:
        return Conflict(f"sale {sale_id} is already completed as receipt {done[0]}")
    return NotFound(f"no open or suspended sale {sale_id}")


class Checkout:
    """The sale commands of every lane; one instance per node."""

    def __init__(self, ledger: Ledger, settings: Settings, repricer: Repricer | None = None) -> None:
        self._ledger = ledger
        self._settings = settings
        self.pricing = store_pricing(settings)
        self.repricer: Repricer = repricer or NoPromotions()
        self._layout = parse_label_layout(
            settings.pricing.embedded_barcode_layout, EmbeddedValue(settings.pricing.embedded_barcode_value)
        )
        self.listeners: list[Callable[[Sale], None]] = []
        # The last saved version of each cart, taken out while a command uses it. Only touched
        # inside a unit of work, so the ledger's write turn keeps threads apart here too.
        self._carts: dict[str, Sale] = {}

    # -- reading ---------------------------------------------------------------------------

    def get(self, sale_id: str) -> Sale:
        """The cart, or the completed sale (plain SQL: the ORM's get cost half of a look). The
        cart is looked for first: a sale completing in between is then found as completed."""
        with self._ledger.reader.connect() as conn:
            db = driver(conn)
            found = db.execute("SELECT body FROM open_sale WHERE sale_id = ?", (sale_id,)).fetchone()
            if found is not None:
                return cart_from_saved(found[0])
            done = db.execute("SELECT body, journal_seq FROM sale WHERE sale_id = ?", (sale_id,)).fetchone()
            if done is None:
                raise NotFound(f"no sale {sale_id}")
            return Sale.from_dict(sale_record(db, done[0], done[1])["sale"])

    def cached_lane(self, sale_id: str) -> int | None:
        """The lane of a cart whose current version this process saved, without a read (None
        when it is not in memory: not saved here last, or a command has it out)."""
        cart = self._carts.get(sale_id)
        return None if cart is None else int(cart.lane_id)

    def open_on_lane(self, lane: int) -> Sale | None:
        with self._ledger.read() as session:
            row = session.exec(select(OpenSaleRow).where(OpenSaleRow.lane == lane, OpenSaleRow.state == "open")).first()
            return None if row is None else cart_from_saved(row.body)

    def suspended(self) -> list[Sale]:
        with self._ledger.read() as session:
            rows = session.exec(select(OpenSaleRow).where(OpenSaleRow.state == "suspended").order_by(col(OpenSaleRow.updated_at)))
            return [cart_from_saved(row.body) for row in rows]

    # -- commands --------------------------------------------------------------------------

    def open_sale(self, sale_id: str, lane: int, cashier_id: str) -> Sale:
        """Open a cart on a lane; the client's `sale_id` makes a retried open find the first one."""
        with self._ledger.unit_of_work() as uow:
            existing = uow.session.get(OpenSaleRow, sale_id)
            if existing is not None:
                if existing.lane != lane:
                    raise Conflict(f"sale {sale_id} is open on lane {existing.lane}, not lane {lane}")
                return cart_from_saved(existing.body)
            if uow.session.get(SaleRow, sale_id) is not None:
                raise Conflict(f"sale {sale_id} is already completed")
            open_shift_on(uow.session, lane)
            sale = Sale.open(
                sale_id=sale_id, store_id=self._settings.store.id, lane_id=str(lane), cashier_id=cashier_id,
                currency=self._settings.store.currency, pricing=self.pricing, at=utc_now(),
            )
            sale.pull_events()
            self._save(uow, sale, exists=False)
            uow.commit()
        return sale

    def add_item(
        self, sale_id: str, *, code: str | None = None, sku: str | None = None, quantity: int = 1,
        scale: ScaleReading | None = None, request_id: str | None = None,
    ) -> Sale:
        """Add by barcode (GTIN, PLU or in-store label) or SKU; weighed items need a stable scale weight.
        A repeated `request_id` adds nothing and answers the cart as it is."""
        if (code is None) == (sku is None):
            raise InvalidInput("give exactly one of code (barcode or PLU) or sku")

        def add(sale: Sale, uow: UnitOfWork) -> None:
            if request_id is not None:
                try:
                    claim_request(uow.db, request_id, "sale.add_item", sale_id)
                except Replayed:  # the cart as this transaction sees it (a reader would not see a group's)
                    raise _AsItIs(sale) from None
            at = utc_now()
            conn = uow.db
            if code is not None and is_label_barcode(code):
                label = parse_label_barcode(code, self._layout)
                item = catalog.item_record(catalog.lookup_plu(conn, label.item_code))
                if label.price is not None:
                    sale.add_labelled_price(item, label.price, at=at, code=label.barcode)
                else:
                    sale.add_weighed(item, label.grams or 0, at=at, source=LineSource.LABEL_WEIGHT, code=label.barcode)
                return
            found = catalog.lookup_code(conn, code) if code is not None else catalog.get_item(conn, sku or "")
            if not found.active:
                raise Conflict(f"{found.name_en} ({found.sku}) is not for sale (inactive in the catalog)")
            item = catalog.item_record(found)
            source = LineSource.SCANNED if code is not None else LineSource.KEYED
            if item.unit.value == "kg":
                if scale is None:
                    raise InvalidInput(f"{item.name_en} ({item.sku}) is sold by weight: put it on the scale")
                grams = weight_from_scale(scale)
                sale.add_weighed(item, grams, at=at, code=code or sku or "", scale_id=scale.scale_id)
            else:
                sale.add_item(item, quantity, at=at, source=source, code=code or sku or "")

        try:
            return self._change(sale_id, add)[0]
        except _AsItIs as unchanged:
            return unchanged.sale

    def change_quantity(self, sale_id: str, line_id: int, quantity: int, manager_id: str | None = None) -> Sale:
        return self._change(sale_id, lambda s, _: s.change_quantity(line_id, quantity, at=utc_now(), manager_id=manager_id))[0]

    def void_line(self, sale_id: str, line_id: int, manager_id: str | None = None) -> Sale:
        return self._change(sale_id, lambda s, _: s.void_line(line_id, at=utc_now(), manager_id=manager_id))[0]

    def override_price(self, sale_id: str, line_id: int, unit_price: int, *, reason: str, manager_id: str) -> Sale:
        return self._change(
            sale_id, lambda s, _: s.override_price(line_id, unit_price, manager_id=manager_id, reason=reason, at=utc_now())
        )[0]

    def suspend(self, sale_id: str) -> Sale:
        return self._change(sale_id, lambda s, _: s.suspend(at=utc_now()), reprice=False)[0]

    def resume(self, sale_id: str, lane: int, cashier_id: str) -> Sale:
        def resume(sale: Sale, uow: UnitOfWork) -> None:
            open_shift_on(uow.session, lane)
            sale.resume(lane_id=str(lane), cashier_id=cashier_id, at=utc_now())

        return self._change(sale_id, resume)[0]

    def cancel(self, sale_id: str, manager_id: str | None = None) -> Sale:
        return self._change(sale_id, lambda s, _: s.cancel(at=utc_now(), manager_id=manager_id), reprice=False)[0]

    def add_tender(self, sale_id: str, request: TenderRequest) -> Sale:
        def pay(sale: Sale, uow: UnitOfWork) -> None:
            same = next((t for t in sale.tenders if t.tender_id == request.tender_id), None)
            if same is not None:
                if (same.kind, same.amount) != (request.kind, request.amount):
                    raise Conflict(f"tender id {request.tender_id} is already a different payment on this sale")
                return  # a retried request: the payment is already on the sale
            sale.add_tender(self._tender(uow.session, request), at=utc_now())

        return self._change(sale_id, pay, reprice=False)[0]

    def void_tender(self, sale_id: str, tender_id: str, manager_id: str | None = None) -> Sale:
        return self._change(
            sale_id, lambda s, _: s.void_tender(tender_id, at=utc_now(), manager_id=manager_id), reprice=False
        )[0]

    # -- member and coupons ----------------------------------------------------------------

    def attach_member(self, sale_id: str, member_id: str) -> Sale:
        return self._change(sale_id, lambda s, uow: s.attach_member(member_for_sale(uow.session, member_id), at=utc_now()))[0]

    def detach_member(self, sale_id: str) -> Sale:
        return self._change(sale_id, lambda s, _: s.detach_member(at=utc_now()))[0]

    def add_coupon(self, sale_id: str, code: str) -> Sale:
        def add(sale: Sale, _uow: UnitOfWork) -> None:
            normalised = coupon_code(code)
            if normalised not in sale.coupon_codes:
                sale.add_coupon(self.repricer.coupon_for(sale, normalised, utc_now()), at=utc_now())

        return self._change(sale_id, add)[0]

    def remove_coupon(self, sale_id: str, code: str) -> Sale:
        return self._change(sale_id, lambda s, _: s.remove_coupon(coupon_code(code), at=utc_now()))[0]

    # -- plumbing --------------------------------------------------------------------------

    def _tender(self, session: Session, request: TenderRequest) -> Tender:
        currency = request.currency.upper()
        if currency != self._settings.store.currency:
            raise InvalidInput(f"tender currency {currency} is not the store's currency {self._settings.store.currency}")
        if request.kind is TenderKind.CASH:
            return tenders.cash(request.tender_id, request.amount, currency)
        if request.kind is TenderKind.CARD:
            return tenders.card(request.tender_id, request.amount, request.reference, currency)
        if request.kind in (TenderKind.VOUCHER, TenderKind.GIFT_CARD):
            card = session.get(StoredValueRow, request.code)
            if card is None or card.kind != request.kind.value:
                raise NotFound(f"no {request.kind.value} with code {request.code!r}")
            return tenders.stored_value(request.tender_id, request.kind, request.amount, request.code, card.balance, currency)
        raise InvalidInput(f"tender kind {request.kind.value} is not taken at the lane")

    def take_cart(self, db: sqlite3.Connection, sale_id: str) -> Sale:
        """The cart for a command, from memory when this process saved its current version last
        (parsing a 100-line cart costs milliseconds a scan); from its saved form otherwise.
        Taken out of memory: the command's saved result goes back in."""
        found = db.execute("SELECT version FROM open_sale WHERE sale_id = ?", (sale_id,)).fetchone()
        cached = self._carts.pop(sale_id, None)
        if found is None:
            raise missing_sale(db, sale_id)
        if cached is not None and cached.version == found[0]:
            return cached  # the saved body is not even read
        (body,) = db.execute("SELECT body FROM open_sale WHERE sale_id = ?", (sale_id,)).fetchone()
        return cart_from_saved(body)

    def _change(self, sale_id: str, command: Callable[[Sale, UnitOfWork], T], reprice: bool = True) -> tuple[Sale, T]:
        if reprice:
            self.repricer.prepare()
        with self._ledger.unit_of_work() as uow:
            sale = self.take_cart(uow.db, sale_id)
            result = command(sale, uow)
            if reprice and sale.state is SaleState.OPEN:
                sale.apply_discounts(self.repricer.discounts_for(sale, utc_now()), at=utc_now())
            self._save(uow, sale, exists=True)
            uow.commit()
            if sale.state in (SaleState.OPEN, SaleState.SUSPENDED):
                if len(self._carts) >= MAX_CACHED_CARTS:
                    del self._carts[next(iter(self._carts))]  # the cart left alone longest
                self._carts[sale_id] = sale.copy()  # callers may read theirs while the next scan changes this one
        self._ledger.after_commit(self.listeners, sale)
        return sale, result

    def _save(self, uow: UnitOfWork, sale: Sale, *, exists: bool) -> None:
        """Journal the audited events and write the cart (one SQL statement, no ORM flush): as
        the lane's view of it (rendered once for this, the answer and the lane's events), deflated."""
        for event in sale.pull_events():
            self._audit(uow, event)
        db = uow.db
        if sale.state is SaleState.CANCELLED:
            db.execute("DELETE FROM open_sale WHERE sale_id = ?", (sale.sale_id,))
            return
        values = (
            int(sale.lane_id), sale.state.value, sale.cashier_id, sale.version,
            saved_cart(sale), to_utc_text(utc_now()), sale.sale_id,
        )
        try:
            if exists:
                db.execute(
                    "UPDATE open_sale SET lane = ?, state = ?, cashier_id = ?, version = ?, body = ?, updated_at = ? "
                    "WHERE sale_id = ?", values,
                )
            else:
                db.execute(
                    "INSERT INTO open_sale (lane, state, cashier_id, version, body, updated_at, sale_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", values,
                )
        except sqlite3.IntegrityError as err:
            if "open_sale.lane" in str(err):
                raise Conflict(f"lane {sale.lane_id} already has an open sale: suspend or finish it first") from err
            raise

    @staticmethod
    def _audit(uow: UnitOfWork, event: SaleEvent) -> None:
        kind = AUDITED.get(event.name)
        if kind is not None:
            data: dict[str, Any] = event.to_dict()
            uow.journal(kind, data)
