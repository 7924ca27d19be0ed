"""HQ's database (SQLAlchemy Core): SQLite by default, PostgreSQL by URL.

Every store's journal (`hq_event`, unique by store and seq), per-store position and
presence (`hq_store`), messages each store applied (`hq_delivery`), the projections HQ queries (`hq_stock`, `hq_sales_day`,
`hq_sales_item`), applied versions (`hq_store_version`), refusals the stores reported
(`hq_refusal`) and HQ's durable outbox of signed messages (`hq_outbox`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite

GENESIS_HASH = "0" * 64
metadata = MetaData()

hq_event = Table(
    "hq_event", metadata,
    Column("store", String(32), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(27), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
hq_store = Table(
    "hq_store", metadata,
    Column("store", String(32), primary_key=True),
    Column("contig_seq", BigInteger, nullable=False, default=0),
    Column("head_hash", String(64), nullable=False, default=GENESIS_HASH),
    Column("chain_ok", Boolean, nullable=False, default=True),
    Column("enrolled", Boolean, nullable=False, default=False),
    Column("state", String(16), nullable=False, default="unknown"),
    Column("last_seen", String(27), nullable=True),
    Column("outbox_depth", BigInteger, nullable=True),
    Column("status", Text, nullable=True),
)
hq_store_version = Table(
    "hq_store_version", metadata,
    Column("store", String(32), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("version", BigInteger, nullable=False),
)
hq_delivery = Table(
    "hq_delivery", metadata,
    Column("store", String(32), primary_key=True),
    Column("msg_id", String(64), primary_key=True),
)
hq_stock = Table(
    "hq_stock", metadata,
    Column("store", String(32), primary_key=True),
    Column("sku", String(40), primary_key=True),
    Column("on_hand", BigInteger, nullable=False),
)
hq_sales_day = Table(
    "hq_sales_day", metadata,
    Column("store", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("sales", Integer, nullable=False),
    Column("returns", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
)
hq_sales_item = Table(
    "hq_sales_item", metadata,
    Column("store", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("sku", String(40), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)
hq_refusal = Table(
    "hq_refusal", metadata,
    Column("store", String(32), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("reason", String(32), nullable=False),
    Column("msg_id", String(64), nullable=True),
    Column("kind", String(16), nullable=True),
    Column("version", BigInteger, nullable=True),
    Column("detail", Text, nullable=False),
)
hq_outbox = Table(
    "hq_outbox", metadata,
    Column("msg_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("stores", Text, nullable=False),  # comma-separated; empty = every store
    Column("envelope", Text, nullable=False),
    Column("issued_at", String(27), nullable=False),
    Column("expires_at", String(27), nullable=False),
    Column("retired", Boolean, nullable=False, default=False),
    UniqueConstraint("kind", "version", name="uq_hq_outbox_kind_version"),
)


def database_url(url: str) -> str:
    """Accept plain postgresql:// URLs (psycopg 3 is the driver) and file paths for SQLite."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def open_database(url: str) -> Engine:
    """An engine on HQ's database with the schema created (idempotent)."""
    engine = create_engine(database_url(url), pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000"):
                dbapi_connection.execute(pragma)

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers: one at a time, no upgrade deadlocks. Readers (`reading`): a deferred
            # snapshot that never waits for `hq serve`'s writes (WAL).
            reader = conn.get_execution_options().get("hq_read", False)
            conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # two `hq serve` starting together must not race on CREATE TABLE
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(774411)")
        metadata.create_all(conn)
    return engine


def reading(engine: Engine) -> Connection:
    """A connection for queries only: on SQLite it does not take the write lock."""
    return engine.connect().execution_options(hq_read=True)


def upsert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT with ON CONFLICT support (same API on SQLite and PostgreSQL)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
