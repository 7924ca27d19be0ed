"""The ledger's sync tables (SQLModel); migration 0003 creates them.

`sync_inbox` remembers every HQ msg_id applied (each applied once), `promotion_bundle`
keeps each bundle applied (the highest version is the active one), `price_change`
schedules HQ's price changes until their effective time, `item_sync` holds per item the
version of the last catalog update and the (effective time, version) of its current price.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from edge.clock import utc_column


class SyncInboxRow(SQLModel, table=True):
    __tablename__ = "sync_inbox"
    msg_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    version: int
    outcome: str = Field(max_length=16)
    journal_seq: int
    received_at: datetime = Field(sa_column=utc_column())


class PromotionBundleRow(SQLModel, table=True):
    __tablename__ = "promotion_bundle"
    version: int = Field(primary_key=True)
    msg_id: str = Field(max_length=64)
    body: str  # canonical JSON of the bundle as HQ signed it
    applied_at: datetime = Field(sa_column=utc_column())


class PriceChangeRow(SQLModel, table=True):
    __tablename__ = "price_change"
    msg_id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=40)
    version: int
    price: int
    effective_at: datetime = Field(sa_column=utc_column())
    state: str = Field(max_length=16, index=True)  # pending, applied, superseded


class ItemSyncRow(SQLModel, table=True):
    __tablename__ = "item_sync"
    sku: str = Field(primary_key=True, max_length=40)
    catalog_version: int = 0
    price_version: int = 0
    price_effective_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
