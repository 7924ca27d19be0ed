"""Returns: with a receipt (at the price paid, promotions prorated, never more than sold) or
without one (manager, store policy); refunds to the original tenders; stock by disposition."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection
from sqlmodel import Session, select

from edge import catalog
from edge.checkout import open_shift_on, store_pricing
from edge.clock import utc_now
from edge.completion import apply_stock
from edge.ledger import Ledger, UnitOfWork
from edge.price_history import price_history
from edge.sale_tables import ReturnRow, SaleRow, StoredValueRow, row_record
from edge.settings import Settings
from edge.shifts import load_shift, record_fact
from pos.errors import Conflict, InvalidInput, NotFound
from pos.returns import (
    Disposition,
    NoReceiptBasis,
    NoReceiptPolicy,
    PriceChange,
    Refund,
    ReturnItem,
    receipt_of,
    return_with_receipt,
    return_without_receipt,
)
from pos.sale import Sale
from pos.tender import TenderKind

SlipPrintHook = Callable[[UnitOfWork, Refund, int], None]  # uow, refund, lane


@dataclass(frozen=True)
class ReturnResult:
    refund: Refund
    journal_seq: int
    replayed: bool = False


def receipt_number_from_scan(text: str) -> str:
    """A receipt QR or barcode carries the receipt number, optionally as `storenode:receipt:<no>`."""
    value = text.strip()
    return value.removeprefix("storenode:receipt:")


class Returns:
    def __init__(self, ledger: Ledger, settings: Settings, print_hook: SlipPrintHook | None = None) -> None:
        self._ledger = ledger
        self._settings = settings
        self.print_hook = print_hook  # queues the return slip's print job inside the return's transaction
        self._policy = NoReceiptPolicy(
            NoReceiptBasis(settings.returns.no_receipt_basis),
            settings.returns.no_receipt_days,
            TenderKind(settings.returns.no_receipt_refund_as),
        )

    def returned(self, receipt_no: str) -> tuple[Sale, list[Refund]]:
        """A receipt's sale and the returns made against it so far."""
        with self._ledger.read() as session:
            row = self._sale(session, receipt_no)
            return Sale.from_dict(row_record(session, row)["sale"]), self._previous(session, row.sale_id)

    def with_receipt(
        self, return_id: str, receipt: str, items: Sequence[ReturnItem], *, lane: int, cashier_id: str,
        manager_id: str | None = None,
    ) -> ReturnResult:
        with self._ledger.unit_of_work() as uow:
            replay = self._replay(uow.session, return_id)
            if replay is not None:
                asked = sorted((i.line_id, i.quantity, i.disposition.value) for i in items)
                done = sorted((line.original_line_id, line.quantity, line.disposition.value) for line in replay.refund.lines)
                if replay.refund.receipt_no != receipt_number_from_scan(receipt) or asked != done:
                    raise Conflict(f"return id {return_id} was already used for a different return")
                return replay
            row = self._sale(uow.session, receipt_number_from_scan(receipt))
            sale = Sale.from_dict(row_record(uow.session, row)["sale"])
            refund = return_with_receipt(
                return_id=return_id, receipt=receipt_of(sale), items=items,
                previous=self._previous(uow.session, row.sale_id), cashier_id=cashier_id, at=utc_now(),
                cash_step=self._settings.pricing.cash_rounding_step, manager_id=manager_id,
            )
            seq = self._record(uow, refund, lane)
            uow.commit()
        return ReturnResult(refund, seq)

    def without_receipt(
        self, return_id: str, sku: str, quantity: int, *, lane: int, cashier_id: str, manager_id: str | None,
        disposition: Disposition = Disposition.RESTOCK,
    ) -> ReturnResult:
        with self._ledger.unit_of_work() as uow:
            replay = self._replay(uow.session, return_id)
            if replay is not None:
                if [(line.sku, line.quantity) for line in replay.refund.lines] != [(sku, quantity)]:
                    raise Conflict(f"return id {return_id} was already used for a different return")
                return replay
            conn, now = uow.session.connection(), utc_now()
            item = catalog.item_record(catalog.get_item(uow.db, sku))
            refund = return_without_receipt(
                return_id=return_id, item=item, quantity=quantity, policy=self._policy,
                history=self._history(conn, sku, now), pricing=store_pricing(self._settings),
                currency=self._settings.store.currency, cashier_id=cashier_id, manager_id=manager_id, at=now,
                disposition=disposition,
            )
            seq = self._record(uow, refund, lane)
            uow.commit()
        return ReturnResult(refund, seq)

    def _record(self, uow: UnitOfWork, refund: Refund, lane: int) -> int:
        shift_row = open_shift_on(uow.session, lane)
        stock_in: dict[str, int] = {}
        damaged: dict[str, int] = {}
        for line in refund.lines:
            stock_in[line.sku] = stock_in.get(line.sku, 0) + line.quantity
            if line.disposition is Disposition.DAMAGED:
                damaged[line.sku] = damaged.get(line.sku, 0) - line.quantity
        entry = uow.journal("return.completed", {
            "refund": json.loads(json.dumps(refund.to_dict(), default=str)),
            "lane": lane,
            "shift_id": shift_row.shift_id,
            "stock": [{"sku": s, "delta": d} for s, d in sorted(stock_in.items())]
            + [{"sku": s, "delta": d, "reason": "damaged"} for s, d in sorted(damaged.items())],
        }, refund.at)
        apply_stock(uow.db, stock_in, "return", refund.return_id, entry)
        apply_stock(uow.db, damaged, "damaged", refund.return_id, entry)
        for tender in refund.tenders:
            if tender.kind in (TenderKind.GIFT_CARD, TenderKind.VOUCHER):
                card = uow.session.get(StoredValueRow, tender.reference) if tender.reference else None
                if card is None:
                    # Never journal money paid out to a card that nothing credits.
                    raise Conflict(
                        f"this return would refund {tender.amount} to a {tender.kind.value} "
                        f"{tender.reference or '(none given)'} the store does not know: refund another way"
                    )
                card.balance += tender.amount
                uow.session.add(card)
        fact = load_shift(uow.session, shift_row).record_return(refund)
        record_fact(uow, shift_row.shift_id, fact)  # the return's journal row above carries it
        uow.session.add(ReturnRow(
            return_id=refund.return_id, sale_id=refund.sale_id, total=refund.total,
            body=json.dumps(refund.to_dict(), default=str, ensure_ascii=False), at=refund.at, journal_seq=entry.seq,
        ))
        if self.print_hook is not None:
            self.print_hook(uow, refund, lane)
        return entry.seq

    def _history(self, conn: Connection, sku: str, now: datetime) -> list[PriceChange]:
        """The prices the no-receipt policy looks back on (none when it refunds the current price)."""
        if self._policy.basis is NoReceiptBasis.CURRENT_PRICE:
            return []
        return price_history(conn, sku, now - timedelta(days=self._policy.days))

    @staticmethod
    def _sale(session: Session, receipt_no: str) -> SaleRow:
        if not receipt_no:
            raise InvalidInput("scan the receipt's QR code or type its number")
        row = session.exec(select(SaleRow).where(SaleRow.receipt_no == receipt_no)).first()
        if row is None:
            raise NotFound(f"no receipt {receipt_no} in this store")
        return row

    @staticmethod
    def _previous(session: Session, sale_id: str) -> list[Refund]:
        rows = session.exec(select(ReturnRow).where(ReturnRow.sale_id == sale_id))
        return [Refund.from_dict(json.loads(r.body)) for r in rows]

    @staticmethod
    def _replay(session: Session, return_id: str) -> ReturnResult | None:
        row = session.get(ReturnRow, return_id)
        if row is None:
            return None
        return ReturnResult(Refund.from_dict(json.loads(row.body)), row.journal_seq, replayed=True)
