"""Completing a sale: one transaction for the sale, its stock movements, its shift fact, its
journal row and (when the lane has a printer) its print job. Idempotent by request id."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from edge.checkout import load_sale, open_shift_on
from edge.clock import to_utc_text, utc_now
from edge.journal import jsonable
from edge.ledger import Ledger, UnitOfWork
from edge.members import record_coupon_uses
from edge.sale_tables import RequestRow, SaleRow, StoredValueRow
from edge.settings import Settings
from edge.shifts import load_shift, save_fact
from edge.tables import ItemRow
from pos.errors import Conflict, NotFound
from pos.money import div_round_half_up
from pos.sale import LineSource, Sale
from pos.tender import TenderKind

PrintHook = Callable[[UnitOfWork, Sale, dict[str, Any]], None]


@dataclass(frozen=True)
class Completed:
    sale: Sale
    receipt_no: str
    journal_seq: int
    record: dict[str, Any]  # what the journal row says (totals, settlement, stock, shift)
    replayed: bool = False


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


def apply_stock(session: Session, deltas: dict[str, int], reason: str, ref: str, seq: int) -> None:
    """Move stock: one upsert of the levels and one insert of the movements (batched SQL:
    the ORM's get-and-flush per SKU cost half of a sale's completion)."""
    moves = [(sku, delta) for sku, delta in sorted(deltas.items()) if delta]
    if not moves:
        return
    conn = session.connection()
    conn.exec_driver_sql(
        "INSERT INTO stock_level (sku, on_hand) VALUES (?, ?) "
        "ON CONFLICT(sku) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
        moves,
    )
    at = to_utc_text(utc_now())
    conn.exec_driver_sql(
        "INSERT INTO stock_movement (sku, delta, reason, ref, journal_seq, at) VALUES (?, ?, ?, ?, ?, ?)",
        [(sku, delta, reason, ref, seq, at) for sku, delta in moves],
    )


class Completion:
    def __init__(self, ledger: Ledger, settings: Settings, print_hook: PrintHook | None = None) -> None:
        self._ledger = ledger
        self._settings = settings
        self.print_hook = print_hook
        self.listeners: list[Callable[[Completed], None]] = []

    def complete(self, sale_id: str, request_id: str) -> Completed:
        """Close a fully paid sale. A retried request id returns the first result, changing nothing."""
        with self._ledger.unit_of_work() as uow:
            replay = self._replay(uow.session, request_id, sale_id)
            if replay is not None:
                return replay
            row, sale = load_sale(uow.session, sale_id)
            shift_row = open_shift_on(uow.session, int(sale.lane_id))
            receipt_seq = self._next_receipt_seq(uow.session)
            receipt_no = f"{self._settings.store.id}-{receipt_seq:08d}"
            sale.complete(receipt_no=receipt_no, at=utc_now())
            sale.pull_events()
            totals, settlement = sale.totals(), sale.settlement()
            deltas = stock_deltas(sale, lambda sku: self._price_per_kg(uow.session, sku))
            record = jsonable({
                "sale": sale.to_dict(),
                "receipt_no": receipt_no,
                "shift_id": shift_row.shift_id,
                "totals": asdict(totals),
                "settlement": {**asdict(settlement), "settled": settlement.settled, "paid": settlement.paid},
                "stock": [{"sku": sku, "delta": delta} for sku, delta in sorted(deltas.items())],
                "request_id": request_id,
            })
            entry = uow.journal("sale.completed", record)
            apply_stock(uow.session, deltas, "sale", receipt_no, entry.seq)
            self._draw_stored_value(uow.session, sale)
            record_coupon_uses(uow.session, sale, receipt_no, entry.seq)
            shift = load_shift(shift_row)
            fact = shift.record_sale(sale)
            save_fact(uow, shift_row, shift, fact, "shift.sale_recorded", receipt_no=receipt_no)
            uow.session.delete(row)
            uow.session.add(SaleRow(
                sale_id=sale.sale_id, receipt_no=receipt_no, receipt_seq=receipt_seq, lane=int(sale.lane_id),
                cashier_id=sale.cashier_id, shift_id=shift_row.shift_id, completed_at=sale.closed_at or utc_now(),
                total=totals.total, tax=totals.tax, body=json.dumps(record, ensure_ascii=False), journal_seq=entry.seq,
            ))
            uow.session.add(RequestRow(request_id=request_id, kind="sale.complete", ref=sale.sale_id, created_at=utc_now()))
            if self.print_hook is not None:
                self.print_hook(uow, sale, record)
            uow.commit()
        done = Completed(sale, receipt_no, entry.seq, record)
        for listener in self.listeners:
            listener(done)
        return done

    def receipt(self, receipt_no: str) -> Completed:
        with self._ledger.read() as session:
            row = session.exec(select(SaleRow).where(SaleRow.receipt_no == receipt_no)).first()
            if row is None:
                raise NotFound(f"no receipt {receipt_no}")
            return self._completed(row, replayed=False)

    def _replay(self, session: Session, request_id: str, sale_id: str) -> Completed | None:
        seen = session.get(RequestRow, request_id)
        if seen is None:
            return None
        if seen.kind != "sale.complete" or seen.ref != sale_id:
            raise Conflict(f"request id {request_id} was already used for {seen.kind} of {seen.ref}")
        row = session.get(SaleRow, sale_id)
        assert row is not None  # written in the same transaction as the request row
        return self._completed(row, replayed=True)

    @staticmethod
    def _completed(row: SaleRow, replayed: bool) -> Completed:
        record = json.loads(row.body)
        return Completed(Sale.from_dict(record["sale"]), row.receipt_no, row.journal_seq, record, replayed)

    @staticmethod
    def _price_per_kg(session: Session, sku: str) -> int:
        item = session.get(ItemRow, sku)
        return item.price if item is not None and item.unit == "kg" else 0

    @staticmethod
    def _next_receipt_seq(session: Session) -> int:
        last = session.exec(select(func.max(col(SaleRow.receipt_seq)))).one()
        return int(last or 0) + 1

    @staticmethod
    def _draw_stored_value(session: Session, sale: Sale) -> None:
        for tender in sale.tenders:
            if tender.kind in (TenderKind.VOUCHER, TenderKind.GIFT_CARD):
                card = session.get(StoredValueRow, tender.reference)
                if card is None or card.balance < tender.amount:
                    have = 0 if card is None else card.balance
                    raise Conflict(f"{tender.kind.value} {tender.reference} now holds {have}: take another payment")
                card.balance -= tender.amount
                card.updated_at = utc_now()
                session.add(card)

