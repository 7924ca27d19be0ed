"""Alembic environment: always run by storenode with a live connection (edge.ledger)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import edge.customer_tables
import edge.sale_tables
import edge.sync_tables
import edge.tables  # noqa: F401

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("storenode migrations run through `storenode serve` or edge.ledger.migrate()")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    compare_type=True,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
