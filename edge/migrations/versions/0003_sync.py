"""Sync with HQ: applied messages, promotion bundles, scheduled price changes, item versions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_inbox",
        sa.Column("msg_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "promotion_bundle",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("applied_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "price_change",
        sa.Column("msg_id", sa.String(64), primary_key=True),
        sa.Column("sku", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("effective_at", sa.String(27), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
    )
    op.create_index("ix_price_change_state", "price_change", ["state"])
    op.create_table(
        "item_sync",
        sa.Column("sku", sa.String(40), primary_key=True),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("price_version", sa.Integer(), nullable=False),
        sa.Column("price_effective_at", sa.String(27), nullable=True),
    )


def downgrade() -> None:
    for table in ("item_sync", "price_change", "promotion_bundle", "sync_inbox"):
        op.drop_table(table)
