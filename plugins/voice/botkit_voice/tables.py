"""The voice plugin's one table: each user's own voice, used in every server."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table

metadata = MetaData()

user_voices = Table(
    "voice_user_voices",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("engine", String(64), nullable=False),
    Column("voice", String(200), nullable=False, default=""),  # a voice name or language code
)
