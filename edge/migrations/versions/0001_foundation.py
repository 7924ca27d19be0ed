"""Foundation: journal (append-only, hash-chained), node state, catalog, operators, tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "journal",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(27), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute(
        "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'journal is append-only: UPDATE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'journal is append-only: DELETE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER journal_chain_next BEFORE INSERT ON journal "
        "WHEN NEW.seq <> COALESCE((SELECT MAX(seq) FROM journal), 0) + 1 "
        f"OR NEW.prev_hash <> COALESCE((SELECT hash FROM journal ORDER BY seq DESC LIMIT 1), '{GENESIS}') "
        "BEGIN SELECT RAISE(ABORT, 'journal row must follow the last one: next seq and its hash'); END"
    )
    op.create_table(
        "node_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )
    op.create_table(
        "tax_class",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("name_zh", sa.String(), nullable=False),
    )
    op.create_table(
        "item",
        sa.Column("sku", sa.String(40), primary_key=True),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("name_zh", sa.String(), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("tax_class", sa.String(16), sa.ForeignKey("tax_class.code"), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("brand", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.String(27), nullable=False),
    )
    op.create_index("ix_item_category", "item", ["category"])
    op.create_index("ix_item_brand", "item", ["brand"])
    op.create_table(
        "item_code",
        sa.Column("code", sa.String(14), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("sku", sa.String(40), sa.ForeignKey("item.sku"), nullable=False),
    )
    op.create_index("ix_item_code_sku", "item_code", ["sku"])
    op.create_table(
        "operator",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("pin_hash", sa.String(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.String(27), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "auth_token",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("operator_id", sa.String(16), sa.ForeignKey("operator.id"), nullable=False),
        sa.Column("lane", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("expires_at", sa.String(27), nullable=False),
    )
    op.create_index("ix_auth_token_operator_id", "auth_token", ["operator_id"])


def downgrade() -> None:
    for table in ("auth_token", "operator", "item_code", "item", "tax_class", "node_state", "journal"):
        op.drop_table(table)
