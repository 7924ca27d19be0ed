"""A completed sale's record lives in its journal row only: `sale.body` is '' from here on.

The sale row repeated the record its `sale.completed` journal row holds (about 8 KB for a
ten-line sale with promotions): three more WAL pages written and synced on every sale, and
the sale table twice the size it needs to be on the store box's flash. From here a new sale
row's `body` is empty, and its record is read from the journal row at `journal_seq`
(`edge.sale_tables.sale_record`). Sale rows written before keep their body; both read alike.

The upgrade changes no table (the column stays NOT NULL: rebuilding `sale` would copy every
old body, twice the table's size in free flash at the first start). The downgrade writes the
record back into every empty body, for a node that reads only the body.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # what changed is what an empty body means: see the docstring


def downgrade() -> None:
    left = op.get_bind().exec_driver_sql(
        "SELECT receipt_no FROM sale WHERE body = '' AND NOT EXISTS "
        "(SELECT 1 FROM journal WHERE journal.seq = sale.journal_seq AND journal.kind = 'sale.completed') LIMIT 5"
    ).fetchall()
    if left:
        raise RuntimeError(
            "cannot write the records of these sales back from the journal (their sale.completed rows are missing): "
            + ", ".join(row[0] for row in left) + "; restore the ledger from a backup"
        )
    op.execute(
        "UPDATE sale SET body = (SELECT json_extract(payload, '$.data') FROM journal WHERE journal.seq = sale.journal_seq) "
        "WHERE body = ''"
    )
