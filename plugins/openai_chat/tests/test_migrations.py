"""A database made by botkit 0.1 or 0.2 is taken over with its rows (on SQLite and PostgreSQL);
0.2's direct-message rows move to each person's DM space."""

from __future__ import annotations

import pytest
from conftest import said
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import create_async_engine

from botkit import User

ANN = User(id="41", name="ann")
HEAD = [("0003",)]
AT = 1715981400.0  # START in conftest: not idle

# The tables as botkit 0.1 and 0.2 declared them.
old = MetaData()
old_turns = Table(
    "openai_chat_turns",
    old,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("message_id", String(32)),
    Column("created_at", Float, nullable=False),
)
old_usage = Table(
    "openai_chat_usage",
    old,
    Column("day", String(10), primary_key=True),
    Column("guild_id", String(32), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("tokens", Integer, nullable=False),
)


def exchange(conversation: str, question: str, user: str = "41") -> list[dict[str, object]]:
    return [
        {
            "conversation": conversation,
            "role": role,
            "content": content,
            "user_id": user,
            "message_id": "9001" if role == "user" else None,
            "created_at": AT,
        }
        for role, content in (("user", question), ("assistant", f"echo: {question}"))
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An SQLite file of its own, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def old_database(database_url: str) -> str:
    """The tables as the 0.1 host made them from the declarations, with one exchange."""
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(old.create_all)
        await conn.execute(
            insert(old_turns),
            [
                {
                    "conversation": "channel:600:41",
                    "role": role,
                    "content": content,
                    "user_id": "41",
                    "created_at": AT,
                }
                for role, content in (("user", "kept question"), ("assistant", "kept answer"))
            ],
        )
    await engine.dispose()
    return database_url


async def test_a_botkit_0_1_database_is_taken_over_with_its_rows(
    chat_bot, server, old_database
) -> None:
    async with chat_bot() as bot:
        await bot.send("do you remember?", mention=True, user=ANN)
        async with bot.bot.storage.engine.connect() as conn:
            version = (
                await conn.execute(text("select version_num from botkit_schema_openai_chat"))
            ).all()
    assert said(server) == ["kept question", "kept answer", "do you remember?"]
    assert [tuple(row) for row in version] == HEAD


async def test_a_new_database_gets_the_tables_from_the_revisions(chat_bot, database_url) -> None:
    async with chat_bot(system_prompt="") as bot:
        await bot.send("hello", mention=True, user=ANN)
        usage = await bot.send("!usage", user=ANN)
        async with bot.bot.storage.engine.connect() as conn:
            version = (
                await conn.execute(text("select version_num from botkit_schema_openai_chat"))
            ).all()
    assert "you 3" in usage.text  # 1 + 2 words on the fake server
    assert [tuple(row) for row in version] == HEAD


@pytest.fixture
async def database_0_2(database_url: str) -> str:
    """A 0.2 database at revision 0001: DM rows under guild id "", and a server's."""
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(old.create_all)
        await conn.execute(
            insert(old_turns),
            exchange("dm:dm-41:41", "my DM secret")
            + exchange("channel:600:41", "in the server")
            + exchange("thread:700:", "in the thread"),
        )
        await conn.execute(
            insert(old_usage),
            [
                {"day": "2024-05-17", "guild_id": "", "user_id": "41", "tokens": 5},
                {"day": "2024-05-17", "guild_id": "500", "user_id": "41", "tokens": 7},
                {"day": "2024-05-01", "guild_id": "", "user_id": "", "tokens": 100},
            ],
        )
        await conn.execute(text("create table botkit_schema_openai_chat (version_num varchar(32))"))
        await conn.execute(text("insert into botkit_schema_openai_chat values ('0001')"))
    await engine.dispose()
    return database_url


async def test_a_0_2_database_keeps_its_rows_with_dm_rows_in_their_spaces(
    chat_bot, database_0_2
) -> None:
    bot = chat_bot(config={"bot": {"owner_ids": ["1"]}})
    async with bot as started, started.bot.storage.engine.connect() as conn:
        usage = (await conn.execute(select(old_usage).order_by("day", "guild_id"))).all()
        turns = (
            await conn.execute(
                text("select conversation, space, channel_id from openai_chat_turns")
            )
        ).all()
    assert [tuple(row) for row in usage] == [
        ("2024-05-01", "dm:1", "", 100),  # names no user: the owner's
        ("2024-05-17", "500", "41", 7),
        ("2024-05-17", "dm:41", "41", 5),
    ]
    assert sorted(set(map(tuple, turns))) == [
        ("channel:600:41", "", "600"),
        ("dm:dm-41:41", "dm:41", "dm-41"),
        ("thread:700:", "", "700"),
    ]


async def test_after_the_upgrade_a_dm_conversation_goes_on_and_its_usage_counts(
    chat_bot, server, database_0_2
) -> None:
    async with chat_bot(system_prompt="") as bot:
        await bot.dm("and now?", user=ANN)
        usage = await bot.dm("!usage", user=ANN)
    assert said(server) == ["my DM secret", "echo: my DM secret", "and now?"]
    assert "you 17" in usage.text  # 5 before, then 9 + 3 words on the fake server
