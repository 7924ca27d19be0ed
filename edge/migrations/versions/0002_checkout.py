"""Checkout: open carts, sales, returns, shifts, stock, idempotent requests, stored value, print jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(27), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "open_sale",
        sa.Column("sale_id", sa.String(64), primary_key=True),
        sa.Column("lane", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cashier_id", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        _utc("updated_at"),
    )
    op.create_index("ix_open_sale_lane", "open_sale", ["lane"])
    # One open cart per lane; any number suspended.
    op.execute("CREATE UNIQUE INDEX ux_open_sale_lane_open ON open_sale (lane) WHERE state = 'open'")
    op.create_table(
        "sale",
        sa.Column("sale_id", sa.String(64), primary_key=True),
        sa.Column("receipt_no", sa.String(40), nullable=False, unique=True),
        sa.Column("receipt_seq", sa.Integer(), nullable=False, unique=True),
        sa.Column("lane", sa.Integer(), nullable=False),
        sa.Column("cashier_id", sa.String(16), nullable=False),
        sa.Column("shift_id", sa.String(64), nullable=False),
        _utc("completed_at"),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("tax", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
    )
    op.create_index("ix_sale_shift_id", "sale", ["shift_id"])
    op.create_table(
        "sale_return",
        sa.Column("return_id", sa.String(64), primary_key=True),
        sa.Column("sale_id", sa.String(64), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        _utc("at"),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
    )
    op.create_index("ix_sale_return_sale_id", "sale_return", ["sale_id"])
    op.create_table(
        "shift",
        sa.Column("shift_id", sa.String(64), primary_key=True),
        sa.Column("lane", sa.Integer(), nullable=False),
        sa.Column("cashier_id", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _utc("opened_at"),
        _utc("closed_at", nullable=True),
        sa.Column("z_number", sa.Integer(), nullable=True, unique=True),
        sa.Column("facts", sa.String(), nullable=False),
    )
    op.create_index("ix_shift_lane", "shift", ["lane"])
    op.execute("CREATE UNIQUE INDEX ux_shift_lane_open ON shift (lane) WHERE state = 'open'")
    op.create_table(
        "stock_level",
        sa.Column("sku", sa.String(40), primary_key=True),
        sa.Column("on_hand", sa.Integer(), nullable=False),
    )
    op.create_table(
        "stock_movement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        _utc("at"),
    )
    op.create_index("ix_stock_movement_sku", "stock_movement", ["sku"])
    op.create_table(
        "request",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        _utc("created_at"),
    )
    op.create_table(
        "stored_value",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        _utc("updated_at"),
    )
    op.create_table(
        "print_job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lane", sa.Integer(), nullable=False),
        sa.Column("printer", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("document", sa.String(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reprint_of", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=False),
        _utc("next_attempt_at"),
        _utc("created_at"),
        _utc("printed_at", nullable=True),
    )
    op.create_index("ix_print_job_lane", "print_job", ["lane"])
    op.create_index("ix_print_job_state", "print_job", ["state"])


def downgrade() -> None:
    for table in (
        "print_job", "stored_value", "request", "stock_movement", "stock_level",
        "shift", "sale_return", "sale", "open_sale",
    ):
        op.drop_table(table)
