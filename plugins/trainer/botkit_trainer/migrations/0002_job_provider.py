"""Fine-tuning jobs remember their provider, (Fireworks) account and uploaded training file.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Jobs stored before this revision were all started on an OpenAI-compatible API: they get
``provider = 'openai'``, no account and no known training file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def added() -> list[sa.Column[str]]:
    return [
        sa.Column("provider", sa.String(32), nullable=False, server_default="openai"),
        sa.Column("account_id", sa.String(100), nullable=False, server_default=""),
        sa.Column("training_file", sa.String(300), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("trainer_jobs")}
    for column in added():
        if column.name not in present:
            op.add_column("trainer_jobs", column)


def downgrade() -> None:
    with op.batch_alter_table("trainer_jobs") as batch:
        for column in added():
            batch.drop_column(column.name)
