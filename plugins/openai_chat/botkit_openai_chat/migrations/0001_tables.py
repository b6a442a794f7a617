"""The chat plugin's tables: conversation turns and token usage.

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


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "openai_chat_turns" not in existing:
        op.create_table(
            "openai_chat_turns",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("conversation", sa.String(120), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("content", sa.Text, nullable=False),
            sa.Column("user_id", sa.String(32), nullable=False),
            sa.Column("message_id", sa.String(32)),
            sa.Column("created_at", sa.Float, nullable=False),
        )
        op.create_index(
            "ix_openai_chat_turns_conversation", "openai_chat_turns", ["conversation", "id"]
        )
        op.create_index("ix_openai_chat_turns_message", "openai_chat_turns", ["message_id"])
    if "openai_chat_usage" not in existing:
        op.create_table(
            "openai_chat_usage",
            sa.Column("day", sa.String(10), primary_key=True),
            sa.Column("guild_id", sa.String(32), primary_key=True),
            sa.Column("user_id", sa.String(32), primary_key=True),
            sa.Column("tokens", sa.Integer, nullable=False),
        )


def downgrade() -> None:
    op.drop_table("openai_chat_usage")
    op.drop_table("openai_chat_turns")
