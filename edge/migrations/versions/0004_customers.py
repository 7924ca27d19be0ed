"""Members, coupon uses, and the item price history (kept by a trigger on item price updates).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Only a real change of price writes a row, so re-importing an unchanged catalog costs
# nothing more; the time has the ledger's UTC text format (edge.clock.to_utc_text).
PRICE_TRIGGER = """
CREATE TRIGGER item_price_history AFTER UPDATE OF price ON item
WHEN OLD.price <> NEW.price
BEGIN
    INSERT INTO price_history (sku, old_price, price, changed_at)
    VALUES (NEW.sku, OLD.price, NEW.price, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z');
END
"""


def _utc(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(27), nullable=False)


def upgrade() -> None:
    op.create_table(
        "member",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _utc("updated_at"),
    )
    op.create_table(
        "coupon_use",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(32), nullable=True),
        sa.Column("sale_id", sa.String(64), nullable=False),
        sa.Column("receipt_no", sa.String(40), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        _utc("at"),
    )
    op.create_index("ix_coupon_use_code", "coupon_use", ["code"])
    op.create_table(
        "price_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("old_price", sa.Integer(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        _utc("changed_at"),
    )
    op.create_index("ix_price_history_sku", "price_history", ["sku"])
    op.execute(PRICE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS item_price_history")
    for table in ("price_history", "coupon_use", "member"):
        op.drop_table(table)
