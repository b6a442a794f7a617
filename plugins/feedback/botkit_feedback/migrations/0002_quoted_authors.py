"""Who wrote the texts a correction or a note quotes, so that forgetting them reaches there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ADDED = {
    "feedback_corrections": ("asker_id", "ix_feedback_corrections_asker"),
    "feedback_notes": ("replied_to_author_id", "ix_feedback_notes_replied_to_author"),
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table, (column, index) in ADDED.items():
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            with op.batch_alter_table(table) as batch:
                batch.add_column(sa.Column(column, sa.String(64)))
            op.create_index(index, table, [column])


def downgrade() -> None:
    for table, (column, index) in ADDED.items():
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
