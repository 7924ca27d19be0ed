"""Index request ids by what they refer to, so a closing sale can drop its add-item ids.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_request_ref", "request", ["ref"])
    # Add-item ids of sales already closed guard nothing any more (see edge.requests).
    op.execute(
        "DELETE FROM request WHERE kind = 'sale.add_item' "
        "AND ref NOT IN (SELECT sale_id FROM open_sale)"
    )


def downgrade() -> None:
    op.drop_index("ix_request_ref", "request")
