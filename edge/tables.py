"""The ledger's tables (SQLModel). The schema itself is owned by Alembic migrations in
edge/migrations; a test checks these models and the migrations agree."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from edge.clock import utc_column


class Journal(SQLModel, table=True):
    """Append-only, hash-chained record of every business fact (triggers refuse UPDATE/DELETE)."""

    __tablename__ = "journal"
    seq: int = Field(primary_key=True)
    at: datetime = Field(sa_column=utc_column())
    kind: str = Field(max_length=64)
    payload: str  # canonical JSON of {"seq", "at", "kind", "data"}
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class NodeState(SQLModel, table=True):
    """Small facts about this ledger: which store it belongs to, sync positions."""

    __tablename__ = "node_state"
    key: str = Field(primary_key=True, max_length=64)
    value: str


class TaxClassRow(SQLModel, table=True):
    __tablename__ = "tax_class"
    code: str = Field(primary_key=True, max_length=16)
    rate_bp: int
    name_en: str
    name_zh: str


class ItemRow(SQLModel, table=True):
    __tablename__ = "item"
    sku: str = Field(primary_key=True, max_length=40)
    name_en: str
    name_zh: str
    unit: str = Field(max_length=8)
    price: int
    tax_class: str = Field(foreign_key="tax_class.code", max_length=16)
    category: str = Field(default="", index=True)
    brand: str = Field(default="", index=True)
    active: bool = True
    updated_at: datetime = Field(sa_column=utc_column())


class ItemCodeRow(SQLModel, table=True):
    """A barcode (normalised to GTIN-14) or store PLU; each belongs to exactly one item."""

    __tablename__ = "item_code"
    code: str = Field(primary_key=True, max_length=14)
    kind: str = Field(max_length=8)
    sku: str = Field(foreign_key="item.sku", max_length=40, index=True)


class OperatorRow(SQLModel, table=True):
    __tablename__ = "operator"
    id: str = Field(primary_key=True, max_length=16)
    name: str
    role: str = Field(max_length=16)
    pin_hash: str
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    disabled: bool = False
    created_at: datetime = Field(sa_column=utc_column())


class AuthToken(SQLModel, table=True):
    """A login session; only the SHA-256 of the bearer token is stored."""

    __tablename__ = "auth_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    operator_id: str = Field(foreign_key="operator.id", max_length=16, index=True)
    lane: int | None = None
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())


