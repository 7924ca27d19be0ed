"""Completing a sale: one transaction for the sale, its stock movements, its shift fact, its
journal row and (when the lane has a printer) its print job. Idempotent by request id."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select

from edge import fastjson
from edge.cart_view import cart_from_saved
from edge.checkout import missing_sale, open_shift_id
from edge.clock import utc_now
from edge.journal import JournalEntry
from edge.ledger import Ledger, UnitOfWork
from edge.members import record_coupon_uses
from edge.sale_tables import IN_JOURNAL, SaleRow, StoredValueRow, row_record, sale_record
from edge.settings import Settings
from edge.shifts import record_fact
from pos.errors import Conflict, NotFound
from pos.money import div_round_half_up
from pos.sale import LineSource, Sale
from pos.shift_facts import SaleRecorded
from pos.tender import TenderKind

PrintHook = Callable[[UnitOfWork, Sale, dict[str, Any]], None]


@dataclass(frozen=True)
class Completed:
    sale: Sale
    receipt_no: str
    journal_seq: int
    record: dict[str, Any]  # what the journal row says (totals, settlement, stock, shift)
    replayed: bool = False

    @classmethod
    def stored(cls, record: dict[str, Any], receipt_no: str, journal_seq: int, *, replayed: bool) -> Completed:
        """A sale completed before, from its record (`edge.sale_tables.sale_record`)."""
        return cls(Sale.from_dict(record["sale"]), receipt_no, journal_seq, record, replayed)


def stock_deltas(sale: Sale, price_per_kg: Callable[[str], int]) -> dict[str, int]:
    """Stock out per SKU: pieces, or grams for goods sold by weight. A price-labelled pack of
    a by-weight item carries no weight, so its grams are estimated from the label price and
    the catalog's price per kg (the movement says so by its reason)."""
    deltas: dict[str, int] = {}
    for line in sale.active_lines:
        quantity = line.quantity
        if line.source is LineSource.LABEL_PRICE:
            per_kg = price_per_kg(line.sku)
            if per_kg > 0:
                quantity = div_round_half_up(line.effective_unit_price * 1000, per_kg)
        deltas[line.sku] = deltas.get(line.sku, 0) - quantity
    return deltas


def apply_stock(db: sqlite3.Connection, deltas: dict[str, int], reason: str, ref: str, entry: JournalEntry) -> None:
    """Move stock, as journal row `entry` says, at its time: one upsert of the levels and one
    insert of the movements (batched SQL: the ORM's get-and-flush per SKU cost half of a
    sale's completion)."""
    moves = [(sku, delta) for sku, delta in sorted(deltas.items()) if delta]
    if not moves:
        return
    db.executemany(
        "INSERT INTO stock_level (sku, on_hand) VALUES (?, ?) "
        "ON CONFLICT(sku) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
        moves,
    )
    seq, at = entry.seq, entry.at
    db.executemany(
        "INSERT INTO stock_movement (sku, delta, reason, ref, journal_seq, at) VALUES (?, ?, ?, ?, ?, ?)",
        [(sku, delta, reason, ref, seq, at) for sku, delta in moves],
    )


CartSource = Callable[[sqlite3.Connection, str], Sale]  # the open cart to complete (edge.checkout.Checkout.take_cart)


def _saved_cart(db: sqlite3.Connection, sale_id: str) -> Sale:
    found = db.execute("SELECT body FROM open_sale WHERE sale_id = ?", (sale_id,)).fetchone()
    if found is None:
        raise missing_sale(db, sale_id)
    return cart_from_saved(found[0])


def _price_per_kg(db: sqlite3.Connection, sku: str) -> int:
    found = db.execute("SELECT price, unit FROM item WHERE sku = ?", (sku,)).fetchone()
    return int(found[0]) if found is not None and found[1] == "kg" else 0


class Completion:
    def __init__(
        self, ledger: Ledger, settings: Settings, print_hook: PrintHook | None = None, carts: CartSource | None = None,
    ) -> None:
        self._ledger = ledger
        self._settings = settings
        self.print_hook = print_hook
        self._carts = carts or _saved_cart
        self.listeners: list[Callable[[Completed], None]] = []

    def complete(self, sale_id: str, request_id: str) -> Completed:
        """Close a fully paid sale. A retried request id returns the first result, changing nothing.

        Plain SQL on the transaction's sqlite3 connection: this runs once per sale on the lane's
        critical path, and SQLAlchemy's bookkeeping cost more than the statements themselves."""
        with self._ledger.unit_of_work() as uow:
            db = uow.db
            replay = self._replay(db, request_id, sale_id)
            if replay is not None:
                return replay
            sale = self._carts(db, sale_id)
            lane = int(sale.lane_id)
            shift_id = open_shift_id(db, lane)
            receipt_seq = self._next_receipt_seq(db)
            receipt_no = f"{self._settings.store.id}-{receipt_seq:08d}"
            now = utc_now()  # the sale's close, its journal row, stock movements and request: one time
            sale.complete(receipt_no=receipt_no, at=now)
            sale.pull_events()
            totals, settlement = sale.totals(), sale.settlement()
            deltas = stock_deltas(sale, lambda sku: _price_per_kg(db, sku))
            record = {
                "sale": sale.to_dict(),
                "receipt_no": receipt_no,
                "shift_id": shift_id,
                "totals": fastjson.plain(totals),
                "settlement": {**fastjson.plain(settlement), "settled": settlement.settled, "paid": settlement.paid},
                "stock": [{"sku": sku, "delta": delta} for sku, delta in sorted(deltas.items())],
                "request_id": request_id,
            }
            entry = uow.journal("sale.completed", record, now)
            apply_stock(db, deltas, "sale", receipt_no, entry)
            self._draw_stored_value(uow, sale, now)
            record_coupon_uses(uow, sale, receipt_no, entry)
            # The shift is open (selected so): its rule for a sale is only the fact itself, which
            # the sale's journal row above carries (it names the shift).
            record_fact(uow, shift_id, SaleRecorded.from_sale(sale))
            self._store(db, sale, receipt_seq, shift_id, totals.total, totals.tax, entry, request_id)
            if self.print_hook is not None:
                self.print_hook(uow, sale, record)
            uow.commit()
        done = Completed(sale, receipt_no, entry.seq, record)
        self._ledger.after_commit(self.listeners, done)
        return done

    @staticmethod
    def _store(
        db: sqlite3.Connection, sale: Sale, receipt_seq: int, shift_id: str, total: int, tax: int,
        entry: JournalEntry, request_id: str,
    ) -> None:
        """The cart becomes a sale row (its record is its journal row's, `entry`: `sale_record`),
        and the request id is spent, at the journal row's time (the sale's close)."""
        db.execute("DELETE FROM open_sale WHERE sale_id = ?", (sale.sale_id,))
        db.execute(
            "INSERT INTO sale (sale_id, receipt_no, receipt_seq, lane, cashier_id, shift_id, completed_at, total, tax, "
            "body, journal_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sale.sale_id, sale.receipt_no, receipt_seq, int(sale.lane_id), sale.cashier_id, shift_id,
             entry.at, total, tax, IN_JOURNAL, entry.seq),
        )
        db.execute(
            "INSERT INTO request (request_id, kind, ref, created_at) VALUES (?, 'sale.complete', ?, ?)",
            (request_id, sale.sale_id, entry.at),
        )

    def receipt(self, receipt_no: str) -> Completed:
        with self._ledger.read() as session:
            row = session.exec(select(SaleRow).where(SaleRow.receipt_no == receipt_no)).first()
            if row is None:
                raise NotFound(f"no receipt {receipt_no}")
            return Completed.stored(row_record(session, row), row.receipt_no, row.journal_seq, replayed=False)

    def _replay(self, db: sqlite3.Connection, request_id: str, sale_id: str) -> Completed | None:
        seen = db.execute("SELECT kind, ref FROM request WHERE request_id = ?", (request_id,)).fetchone()
        if seen is None:
            return None
        if (seen[0], seen[1]) != ("sale.complete", sale_id):
            raise Conflict(f"request id {request_id} was already used for {seen[0]} of {seen[1]}")
        found = db.execute("SELECT receipt_no, journal_seq, body FROM sale WHERE sale_id = ?", (sale_id,)).fetchone()
        assert found is not None  # written in the same transaction as the request row
        return Completed.stored(sale_record(db, found[2], found[1]), found[0], found[1], replayed=True)

    @staticmethod
    def _next_receipt_seq(db: sqlite3.Connection) -> int:
        (last,) = db.execute("SELECT MAX(receipt_seq) FROM sale").fetchone()
        return int(last or 0) + 1

    @staticmethod
    def _draw_stored_value(uow: UnitOfWork, sale: Sale, at: datetime) -> None:
        for tender in sale.tenders:
            if tender.kind in (TenderKind.VOUCHER, TenderKind.GIFT_CARD):
                session = uow.session
                card = session.get(StoredValueRow, tender.reference)
                if card is None or card.balance < tender.amount:
                    have = 0 if card is None else card.balance
                    raise Conflict(f"{tender.kind.value} {tender.reference} now holds {have}: take another payment")
                card.balance -= tender.amount
                card.updated_at = at
                session.add(card)

