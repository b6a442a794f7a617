"""The plugin's tables: corrections, feedback notes and ratings."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

ID = String(64)  # platform ids: Discord snowflakes, "console", "dm-3"...

corrections = Table(
    "feedback_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("guild_id", ID, nullable=False),  # the space: a server's id, or dm:<user id>
    Column("channel_id", ID, nullable=False),
    Column("author_id", ID, nullable=False),
    Column("author_name", String(100), nullable=False),
    Column("bot_message_id", ID, nullable=False),
    Column("bot_text", Text, nullable=False),
    Column("user_message_id", ID),  # the message the bot's reply answered, when known
    Column("user_text", Text),
    Column("correction", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("asker_id", ID),  # who wrote user_text, when known
    Column("review", String(16)),  # None: awaiting review; "approved" or "rejected"
    Column("reviewed_by", ID),  # who approved, rejected or last edited it
    Index("ix_feedback_corrections_guild", "guild_id", "id"),
    Index("ix_feedback_corrections_author", "author_id"),
    Index("ix_feedback_corrections_asker", "asker_id"),
)

notes = Table(
    "feedback_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("guild_id", ID, nullable=False),
    Column("channel_id", ID, nullable=False),
    Column("author_id", ID, nullable=False),
    Column("author_name", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("replied_to_id", ID),  # the message the feedback was a reply to, if any
    Column("replied_to_text", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("replied_to_author_id", ID),  # who wrote replied_to_text
    Index("ix_feedback_notes_author", "author_id"),
    Index("ix_feedback_notes_replied_to_author", "replied_to_author_id"),
)

ratings = Table(
    "feedback_ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("guild_id", ID, nullable=False),
    Column("channel_id", ID, nullable=False),
    Column("message_id", ID, nullable=False),
    Column("user_id", ID, nullable=False),
    Column("value", SmallInteger, nullable=False),  # +1 or -1
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel_id", "message_id", "user_id", name="uq_feedback_ratings_vote"),
    Index("ix_feedback_ratings_user", "user_id"),
    Index("ix_feedback_ratings_guild", "guild_id"),
)
