"""Checkout state tables: open carts, completed sales, returns, shifts, stock, requests, print jobs.

All are derived state kept in the same transaction as the journal row that records the fact.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, text
from sqlmodel import Field, Session, SQLModel

from edge import fastjson
from edge.clock import utc_column
from edge.errors import LedgerCorrupt
from edge.ledger import driver


class OpenSaleRow(SQLModel, table=True):
    """A cart that is open or suspended, saved on every change so a restart resumes it."""

    __tablename__ = "open_sale"
    __table_args__ = (
        Index("ux_open_sale_lane_open", "lane", unique=True, sqlite_where=text("state = 'open'")),
    )
    sale_id: str = Field(primary_key=True, max_length=64)
    lane: int  # a lane's open cart is found by ux_open_sale_lane_open
    state: str = Field(max_length=16)
    cashier_id: str = Field(max_length=16)
    version: int
    # The lane's view of the cart (edge.cart_view): deflated JSON, which SQLite keeps as a BLOB
    # in this TEXT column; carts saved before deflating are JSON text. Read with cart_from_saved.
    body: str | bytes = Field(sa_type=String)
    updated_at: datetime = Field(sa_column=utc_column())


class SaleRow(SQLModel, table=True):
    """A completed sale; `receipt_seq` is gap-free per store."""

    __tablename__ = "sale"
    sale_id: str = Field(primary_key=True, max_length=64)
    receipt_no: str = Field(max_length=40, unique=True)
    receipt_seq: int = Field(unique=True)
    lane: int
    cashier_id: str = Field(max_length=16)
    shift_id: str = Field(max_length=64, index=True)
    completed_at: datetime = Field(sa_column=utc_column())
    total: int
    tax: int
    # The sale's record, for a sale written before migration 0007; '' since: the record is
    # the data of its journal row (`journal_seq`), not written twice (`sale_record`).
    body: str
    journal_seq: int


IN_JOURNAL = ""  # a sale row's body since migration 0007: its record is its journal row's


def sale_record(db: sqlite3.Connection, body: str, journal_seq: int) -> dict[str, Any]:
    """A completed sale's record (its sale, totals, settlement, stock, request id)."""
    if body != IN_JOURNAL:
        record: dict[str, Any] = fastjson.loads(body)
        return record
    found = db.execute("SELECT kind, payload FROM journal WHERE seq = ?", (journal_seq,)).fetchone()
    if found is None or found[0] != "sale.completed":
        what = "missing" if found is None else f"a {found[0]!r} row"
        raise LedgerCorrupt(
            f"a completed sale's journal row {journal_seq} is {what}, not its sale.completed: restore the ledger from a backup"
        )
    data: dict[str, Any] = fastjson.loads(found[1])["data"]
    return data


def row_record(session: Session, row: SaleRow) -> dict[str, Any]:
    """`sale_record` of a row read through the ORM, in the same session."""
    return sale_record(driver(session.connection()), row.body, row.journal_seq)


class ReturnRow(SQLModel, table=True):
    __tablename__ = "sale_return"
    return_id: str = Field(primary_key=True, max_length=64)
    sale_id: str | None = Field(default=None, max_length=64, index=True)
    total: int
    body: str  # pos.returns.Refund.to_dict()
    at: datetime = Field(sa_column=utc_column())
    journal_seq: int


class ShiftRow(SQLModel, table=True):
    """A lane's drawer session; its facts (shift_fact) are the shift's whole story (pos.shift)."""

    __tablename__ = "shift"
    __table_args__ = (
        Index("ux_shift_lane_open", "lane", unique=True, sqlite_where=text("state = 'open'")),
    )
    shift_id: str = Field(primary_key=True, max_length=64)
    lane: int = Field(index=True)
    cashier_id: str = Field(max_length=16)
    state: str = Field(max_length=16)
    opened_at: datetime = Field(sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    z_number: int | None = Field(default=None, unique=True)


class ShiftFactRow(SQLModel, table=True):
    """One fact of a shift (pos.shift_facts codec, JSON), appended in the fact's transaction."""

    __tablename__ = "shift_fact"
    id: int | None = Field(default=None, primary_key=True)
    shift_id: str = Field(max_length=64, index=True)
    body: str


class StockLevel(SQLModel, table=True):
    """On hand per item, in pieces (or grams for items sold by weight)."""

    __tablename__ = "stock_level"
    sku: str = Field(primary_key=True, max_length=40)
    on_hand: int


class StockMovement(SQLModel, table=True):
    __tablename__ = "stock_movement"
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=40, index=True)
    delta: int
    reason: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    journal_seq: int
    at: datetime = Field(sa_column=utc_column())


class RequestRow(SQLModel, table=True):
    """A client request id already carried out, with where its result lives (idempotency)."""

    __tablename__ = "request"
    request_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=64)  # looked up by id only (migration 0008)
    created_at: datetime = Field(sa_column=utc_column())


class StoredValueRow(SQLModel, table=True):
    """Vouchers and gift cards with a balance, in minor units."""

    __tablename__ = "stored_value"
    code: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=16)
    balance: int
    updated_at: datetime = Field(sa_column=utc_column())


class PrintJobRow(SQLModel, table=True):
    """A document to print: a row first, bytes second (the spooler sends it)."""

    __tablename__ = "print_job"
    id: int | None = Field(default=None, primary_key=True)
    lane: int = Field(index=True)
    printer: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    document: str  # JSON: pos.receipt document_to_dict()
    state: str = Field(max_length=16, index=True)
    attempts: int = 0
    reprint_of: int | None = None
    last_error: str = ""
    next_attempt_at: datetime = Field(sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column())
    printed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
