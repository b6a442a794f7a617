"""A database made by botkit 0.1 is upgraded in place: every row kept, the new columns added
(on SQLite and on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botkit_feedback.tables import metadata
from sqlalchemy import Column, MetaData, Table, insert, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

ADDED = {"asker_id", "replied_to_author_id", "review", "reviewed_by"}  # not in botkit 0.1


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An SQLite file of its own, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def old_database(storage_url: str) -> str:
    """The plugin's tables as botkit 0.1 made them, with one correction in them."""
    old = MetaData()
    for table in metadata.sorted_tables:
        columns = [
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
            if c.name not in ADDED
        ]
        Table(table.name, old, *columns)
    engine = create_async_engine(storage_url)
    async with engine.begin() as conn:
        await conn.run_sync(old.create_all)
        await conn.execute(
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
        await conn.execute(
            insert(old.tables["feedback_corrections"]),
            {
                "guild_id": "",
                "channel_id": "dm-3",
                "author_id": "3",
                "author_name": "member",
                "bot_message_id": "80",
                "bot_text": "Perth.",
                "user_message_id": "79",
                "user_text": "Capital of Western Australia, in a DM?",
                "correction": "Perth, yes.",
                "created_at": datetime(2023, 11, 2, tzinfo=UTC),
            },
        )
        await conn.execute(
            insert(old.tables["feedback_notes"]),
            {
                "guild_id": "",
                "channel_id": "dm-4",
                "author_id": "4",
                "author_name": "other",
                "text": "Nice bot.",
                "replied_to_id": None,
                "replied_to_text": None,
                "created_at": datetime(2023, 11, 3, tzinfo=UTC),
            },
        )
        await conn.execute(
            insert(old.tables["feedback_ratings"]),
            {
                "guild_id": "",
                "channel_id": "dm-5",
                "message_id": "81",
                "user_id": "5",
                "value": 1,
                "created_at": datetime(2023, 11, 4, tzinfo=UTC),
            },
        )
    await engine.dispose()
    return storage_url


async def test_a_0_1_database_keeps_its_corrections(feedback_bot, old_database):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections", user=bot.admin)
        async with bot.bot.storage.engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("feedback_corrections")}
            )
            version = (
                await conn.execute(text("select version_num from botkit_schema_feedback"))
            ).all()
    assert "“Sydney.” → “Canberra.”" in replies.text
    assert {"asker_id", "review", "reviewed_by"} <= columns
    assert [tuple(row) for row in version] == [("0004",)]


async def test_a_0_1_database_records_who_asked_from_now_on(
    feedback_bot, old_database, ask, stored
):
    async with feedback_bot() as bot:
        answer = await ask(bot, user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra!", user=bot.admin)
        rows = await stored(bot, "feedback_corrections")
    assert [(r["correction"], r["asker_id"]) for r in rows if r["guild_id"] == "500"] == [
        ("Canberra.", None),
        ("Canberra!", bot.member.id),
    ]


async def test_direct_message_rows_move_to_their_authors_dm_space(
    feedback_bot, old_database, stored
):
    async with feedback_bot() as bot:
        corrections = await stored(bot, "feedback_corrections")
        notes = await stored(bot, "feedback_notes")
        ratings = await stored(bot, "feedback_ratings")
        [(_, member_dms)] = await bot.call_all("botkit_training_examples", guild_id="dm:3")
        [(_, other_dms)] = await bot.call_all("botkit_training_examples", guild_id="dm:4")
    assert [(r["guild_id"], r["correction"]) for r in corrections] == [
        ("500", "Canberra."),
        ("dm:3", "Perth, yes."),
    ]
    assert [(r["guild_id"], r["text"]) for r in notes] == [("dm:4", "Nice bot.")]
    assert [(r["guild_id"], r["user_id"]) for r in ratings] == [("dm:5", "5")]
    assert [r["messages"][-1]["content"] for r in member_dms if r["kind"] == "sft"] == [
        "Perth, yes."
    ]
    assert other_dms == []
