"""The feedback plugin's tables: corrections, feedback notes and ratings.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

Creates only the tables that do not exist yet: a database made by botkit 0.1 (whose host
created the same tables from the declarations) is taken over as it is, rows and all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "feedback_corrections" not in existing:
        op.create_table(
            "feedback_corrections",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("guild_id", ID, nullable=False),
            sa.Column("channel_id", ID, nullable=False),
            sa.Column("author_id", ID, nullable=False),
            sa.Column("author_name", sa.String(100), nullable=False),
            sa.Column("bot_message_id", ID, nullable=False),
            sa.Column("bot_text", sa.Text, nullable=False),
            sa.Column("user_message_id", ID),
            sa.Column("user_text", sa.Text),
            sa.Column("correction", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_feedback_corrections_guild", "feedback_corrections", ["guild_id", "id"])
        op.create_index("ix_feedback_corrections_author", "feedback_corrections", ["author_id"])
    if "feedback_notes" not in existing:
        op.create_table(
            "feedback_notes",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("guild_id", ID, nullable=False),
            sa.Column("channel_id", ID, nullable=False),
            sa.Column("author_id", ID, nullable=False),
            sa.Column("author_name", sa.String(100), nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("replied_to_id", ID),
            sa.Column("replied_to_text", sa.Text),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_feedback_notes_author", "feedback_notes", ["author_id"])
    if "feedback_ratings" not in existing:
        op.create_table(
            "feedback_ratings",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("guild_id", ID, nullable=False),
            sa.Column("channel_id", ID, nullable=False),
            sa.Column("message_id", ID, nullable=False),
            sa.Column("user_id", ID, nullable=False),
            sa.Column("value", sa.SmallInteger, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint(
                "channel_id", "message_id", "user_id", name="uq_feedback_ratings_vote"
            ),
        )
        op.create_index("ix_feedback_ratings_user", "feedback_ratings", ["user_id"])
        op.create_index("ix_feedback_ratings_guild", "feedback_ratings", ["guild_id"])


def downgrade() -> None:
    op.drop_table("feedback_ratings")
    op.drop_table("feedback_notes")
    op.drop_table("feedback_corrections")
