"""Each user's own voice (``!voice me``).

Revision ID: voice_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "voice_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("voice_user_voices"):
        return
    op.create_table(
        "voice_user_voices",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("voice", sa.String(200), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("voice_user_voices")
