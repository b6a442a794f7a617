"""A plugin whose table grew a column between two releases, with its Alembic revisions."""

from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table

import botkit

metadata = MetaData()
notes = Table(
    "notes_plugin_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("text", String(200), nullable=False),
    Column("pinned", Integer, nullable=False, server_default="0"),  # new in revision 0002
)


@botkit.hookimpl
def botkit_tables() -> MetaData:
    return metadata


@botkit.hookimpl
def botkit_migrations() -> Path:
    return Path(__file__).parent / "migrations"
