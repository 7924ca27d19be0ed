"""Shift facts as rows appended one per fact (they were one JSON list rewritten on every sale,
so completing a sale grew slower as the shift went on).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shift_fact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shift_id", sa.String(64), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
    )
    op.create_index("ix_shift_fact_shift_id", "shift_fact", ["shift_id"])
    conn = op.get_bind()
    shifts = conn.exec_driver_sql("SELECT shift_id, facts FROM shift ORDER BY opened_at, shift_id").fetchall()
    rows = [(shift_id, json.dumps(fact, ensure_ascii=False)) for shift_id, facts in shifts for fact in json.loads(facts)]
    if rows:
        conn.exec_driver_sql("INSERT INTO shift_fact (shift_id, body) VALUES (?, ?)", rows)
    with op.batch_alter_table("shift") as batch:
        batch.drop_column("facts")


def downgrade() -> None:
    with op.batch_alter_table("shift") as batch:
        batch.add_column(sa.Column("facts", sa.String(), nullable=False, server_default="[]"))
    conn = op.get_bind()
    rows = conn.exec_driver_sql("SELECT shift_id, body FROM shift_fact ORDER BY id").fetchall()
    facts: dict[str, list[object]] = {}
    for shift_id, body in rows:
        facts.setdefault(shift_id, []).append(json.loads(body))
    for shift_id, items in facts.items():
        conn.exec_driver_sql(
            "UPDATE shift SET facts = ? WHERE shift_id = ?", (json.dumps(items, ensure_ascii=False), shift_id)
        )
    op.drop_index("ix_shift_fact_shift_id", "shift_fact")
    op.drop_table("shift_fact")
