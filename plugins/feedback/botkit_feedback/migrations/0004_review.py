"""Corrections are reviewed on the web console before they are exported or trained on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

``review`` is NULL while a correction awaits review, then ``approved`` or ``rejected``;
``reviewed_by`` is the id of who decided (or last edited the correction). Existing corrections
await review.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_corrections") as batch:
        batch.add_column(sa.Column("review", sa.String(16)))
        batch.add_column(sa.Column("reviewed_by", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("feedback_corrections") as batch:
        batch.drop_column("reviewed_by")
        batch.drop_column("review")
