"""A database made by botkit 0.1 is upgraded in place: every row kept, the new columns added."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from botkit_feedback.tables import metadata
from sqlalchemy import Column, MetaData, Table, create_engine, insert

ADDED = {"asker_id", "replied_to_author_id"}  # columns botkit 0.1 did not have


@pytest.fixture
def storage_url(tmp_path) -> str:
    """One SQLite file made the way botkit 0.1 made it."""
    path = tmp_path / "old.db"
    old = MetaData()
    for table in metadata.sorted_tables:
        columns = [
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
            if c.name not in ADDED
        ]
        Table(table.name, old, *columns)
    engine = create_engine(f"sqlite:///{path}")
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(old.tables["feedback_corrections"]),
            {
                "guild_id": "500",
                "channel_id": "600",
                "author_id": "3",
                "author_name": "member",
                "bot_message_id": "77",
                "bot_text": "Sydney.",
                "user_message_id": "76",
                "user_text": "Capital of Australia?",
                "correction": "Canberra.",
                "created_at": datetime(2023, 11, 1, tzinfo=UTC),
            },
        )
    engine.dispose()
    return f"sqlite+aiosqlite:///{path}"


async def test_a_0_1_database_keeps_its_corrections(feedback_bot, storage_url, tmp_path):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections", user=bot.admin)
    assert "“Sydney.” → “Canberra.”" in replies.text
    with sqlite3.connect(tmp_path / "old.db") as db:
        columns = {row[1] for row in db.execute("pragma table_info(feedback_corrections)")}
        version = db.execute("select version_num from botkit_schema_feedback").fetchall()
    assert "asker_id" in columns
    assert version == [("0002",)]


async def test_a_0_1_database_records_who_asked_from_now_on(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot, user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra!", user=bot.admin)
        rows = await stored(bot, "feedback_corrections")
    assert [(r["correction"], r["asker_id"]) for r in rows] == [
        ("Canberra.", None),
        ("Canberra!", bot.member.id),
    ]
