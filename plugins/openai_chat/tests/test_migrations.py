"""A database made by botkit 0.1 is taken over with its rows (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from botkit_openai_chat import store
from conftest import said
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from botkit import User

ANN = User(id="41", name="ann")


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
        await conn.run_sync(store.metadata.create_all)
        await conn.execute(
            insert(store.turns),
            [
                {
                    "conversation": "channel:600:41",
                    "role": role,
                    "content": content,
                    "user_id": "41",
                    "created_at": 1715981400.0,  # START in conftest: not idle
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
    assert [tuple(row) for row in version] == [("0001",)]


async def test_a_new_database_gets_the_tables_from_the_revisions(chat_bot, database_url) -> None:
    async with chat_bot(system_prompt="") as bot:
        await bot.send("hello", mention=True, user=ANN)
        usage = await bot.send("!usage", user=ANN)
        async with bot.bot.storage.engine.connect() as conn:
            version = (
                await conn.execute(text("select version_num from botkit_schema_openai_chat"))
            ).all()
    assert "you 3" in usage.text  # 1 + 2 words on the fake server
    assert [tuple(row) for row in version] == [("0001",)]
