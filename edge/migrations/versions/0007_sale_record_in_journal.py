"""A completed sale's record lives in its journal row only: `sale.body` may be NULL.

The sale row repeated the record its `sale.completed` journal row holds (about 8 KB for a
ten-line sale with promotions): three more WAL pages written and synced on every sale, and
the sale table twice the size it needs to be on the store box's flash. From here a new sale
row leaves `body` NULL, and its record is read from the journal row at `journal_seq`
(`edge.completion.sale_record`). Sale rows written before keep their body; both read alike.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sale") as batch:
        batch.alter_column("body", existing_type=sa.String(), nullable=True)


def downgrade() -> None:
    # An older node reads the body: write each record back from its journal row first.
    op.execute(
        "UPDATE sale SET body = (SELECT json_extract(payload, '$.data') FROM journal WHERE journal.seq = sale.journal_seq) "
        "WHERE body IS NULL"
    )
    with op.batch_alter_table("sale") as batch:
        batch.alter_column("body", existing_type=sa.String(), nullable=False)
