"""Each person's direct messages are a space of their own: rows stored outside any server.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

Corrections, feedback notes and ratings made in direct messages were all stored under the
guild id "" (one space shared by every DM). Each moves to ``dm:<id of who wrote it>``, so a
person's DM corrections are offered as training examples, and listed, in their DMs only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AUTHORS = {
    "feedback_corrections": "author_id",
    "feedback_notes": "author_id",
    "feedback_ratings": "user_id",
}


def upgrade() -> None:
    for name, author in AUTHORS.items():
        table = sa.table(name, sa.column("guild_id", sa.String), sa.column(author, sa.String))
        outside = sa.or_(table.c.guild_id == "", table.c.guild_id.is_(None))
        op.execute(
            table.update().where(outside).values(guild_id=sa.literal("dm:") + table.c[author])
        )


def downgrade() -> None:
    for name in AUTHORS:
        table = sa.table(name, sa.column("guild_id", sa.String))
        op.execute(table.update().where(table.c.guild_id.like("dm:%")).values(guild_id=""))
