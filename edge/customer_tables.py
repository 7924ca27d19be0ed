"""Customer-side tables: loyalty members, coupon uses, and the catalog's price history.

`member` is filled by `storenode members import` (HQ may push it later); `coupon_use` gets
one row per coupon a completed sale used, in the completion's transaction; `price_history`
is written by an SQLite trigger on item price updates (migration 0004), never by Python.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from edge.clock import utc_column


class MemberRow(SQLModel, table=True):
    __tablename__ = "member"
    id: str = Field(primary_key=True, max_length=32)
    tier: str = Field(max_length=16)
    name: str = ""
    active: bool = True
    updated_at: datetime = Field(sa_column=utc_column())


class CouponUseRow(SQLModel, table=True):
    __tablename__ = "coupon_use"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, index=True)
    customer_id: str | None = Field(default=None, max_length=32)
    sale_id: str = Field(max_length=64)
    receipt_no: str = Field(max_length=40)
    journal_seq: int
    at: datetime = Field(sa_column=utc_column())


class PriceHistoryRow(SQLModel, table=True):
    __tablename__ = "price_history"
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=40, index=True)
    old_price: int
    price: int
    changed_at: datetime = Field(sa_column=utc_column())
