"""Drop two indexes nothing reads: each cost a WAL page written, synced and checkpointed on
every sale.

- `ix_open_sale_lane`: every look for a lane's cart asks for its open one, which the partial
  unique index `ux_open_sale_lane_open` answers (and keeps to one a lane).
- `ix_request_ref`: request ids were once dropped by their sale when it closed; they are
  pruned by age now (`edge.requests.prune_add_items`), and only looked up by id.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_open_sale_lane", "open_sale")
    op.drop_index("ix_request_ref", "request")


def downgrade() -> None:
    op.create_index("ix_request_ref", "request", ["ref"])
    op.create_index("ix_open_sale_lane", "open_sale", ["lane"])
