"""Index request ids by what they refer to (the sale, card or order a request changed).

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


def downgrade() -> None:
    op.drop_index("ix_request_ref", "request")
