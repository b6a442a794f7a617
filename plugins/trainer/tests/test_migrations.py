"""Databases made by botkit 0.1 and 0.2 upgrade in place: every row kept, jobs get their
provider, direct-message rows move to their author's DM space, examples name their people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botkit_trainer
import pytest
import pytest_asyncio
from botkit_trainer.tables import examples, metadata, people
from conftest import Chat, poll
from sqlalchemy import Column, MetaData, String, Table, insert, inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from botkit import User
from botkit_testkit.openai_server import FakeOpenAI

ADDED = {
    "provider",
    "account_id",
    "training_file",
}  # columns of trainer_jobs that botkit 0.1 did not have


async def old_database(url: str, base_url: str) -> None:
    """The trainer's tables as botkit 0.1 created them, with a row in each."""
    old = MetaData()
    for table in metadata.sorted_tables:
        if table.name != "trainer_jobs":
            table.to_metadata(old)  # unchanged since 0.1: constraints and indexes as they were
            continue
        columns = [
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
            if c.name not in ADDED
        ]
        Table(table.name, old, *columns)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(old.create_all)
    content = (
        '{"messages":[{"content":"Old question?","role":"user"},'
        '{"content":"Old answer.","role":"assistant"}]}'
    )
    async with engine.begin() as conn:
        await conn.execute(
            insert(old.tables["trainer_datasets"]),
            {"guild_id": "500", "name": "legacy", "created_at": 1.0},
        )
        await conn.execute(
            insert(old.tables["trainer_examples"]),
            {
                "dataset_id": 1,
                "label": "positive",
                "kind": "qa",
                "source": "inline",
                "content": content,
                "content_hash": "h1",
                "name": "",
                "author_id": "3",
                "created_at": 1.0,
            },
        )
        await conn.execute(
            insert(old.tables["trainer_passages"]),
            {"example_id": 1, "guild_id": "500", "position": 0, "text": "x"},
        )
        await conn.execute(
            insert(old.tables["trainer_jobs"]),
            {
                "id": "ftjob-old",
                "guild_id": "500",
                "dataset": "legacy",
                "base_url": base_url,
                "method": "supervised",
                "status": "running",
                "channel_id": "600",
                "fine_tuned_model": None,
                "error": None,
                "announced": False,
                "created_at": 1.0,
                "updated_at": 1.0,
            },
        )
    await engine.dispose()


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def backend_url(request: pytest.FixtureRequest, tmp_path: Path, fake: FakeOpenAI) -> str:
    """A database botkit 0.1 made: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    await old_database(url, fake.base_url)
    return url


async def columns_and_version(url: str) -> tuple[set[str], list[Any], list[Any]]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        columns = await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("trainer_jobs")}
        )
        jobs = (await conn.execute(text("select provider, account_id from trainer_jobs"))).all()
        version = (await conn.execute(text("select version_num from botkit_schema_trainer"))).all()
    await engine.dispose()
    return columns, [tuple(r) for r in jobs], [tuple(r) for r in version]


async def test_a_0_1_database_keeps_its_rows_and_jobs(
    start: Any, fake: FakeOpenAI, backend_url: str
) -> None:
    fake.jobs["ftjob-old"] = {
        "id": "ftjob-old",
        "object": "fine_tuning.job",
        "created_at": 1,
        "model": "gpt-4o-mini",
        "training_file": "file-x",
        "status": "succeeded",
        "fine_tuned_model": "ft:gpt-4o-mini:org:botkit:old",
        "error": None,
        "hyperparameters": {"n_epochs": 3},
        "method": {"type": "supervised"},
        "organization_id": "org-fake",
        "result_files": [],
        "seed": 42,
    }
    async with start() as bot:
        await poll(bot)  # the announcement is made before anything else is sent
        await bot.send("!dataset legacy")
        await bot.send("!train New question? => New answer.")
        listing = await bot.send("!datasets")
        jobs = await bot.send("!jobs")
    assert listing.text == "**legacy** (current): 2 positive, 0 negative Q&A, 0 document(s)"
    assert jobs.text == (
        "`ftjob-old` dataset legacy, supervised: succeeded → `ft:gpt-4o-mini:org:botkit:old`"
    )
    assert [s.text for s in bot.adapter.sent if s.text.startswith("Fine-tuning job")] == [
        "Fine-tuning job `ftjob-old` (dataset legacy) succeeded: model "
        "`ft:gpt-4o-mini:org:botkit:old` is ready."
    ]
    columns, provider, version = await columns_and_version(backend_url)
    assert columns >= ADDED
    assert provider == [("openai", "")]
    assert version == [("0004",)]


OWNER = "1"
QA = '{{"messages":[{{"content":"{q}","role":"user"}},{{"content":"{a}","role":"assistant"}}]}}'


async def database_0_2(url: str, base_url: str) -> None:
    """The trainer's tables as botkit 0.2 left them (revision 0002), with direct-message rows
    of two people and of the owner's files, all under the guild id "" (ids in order: 1...)."""
    old = MetaData()
    for table in metadata.sorted_tables:
        if table.name != "trainer_example_people":
            table.to_metadata(old)
    Table("botkit_schema_trainer", old, Column("version_num", String(32), primary_key=True))
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(old.create_all)
        await conn.execute(insert(old.tables["botkit_schema_trainer"]), {"version_num": "0002"})
        await conn.execute(
            insert(old.tables["trainer_datasets"]),
            [
                {"guild_id": "", "name": "default", "created_at": 1.0},
                {"guild_id": "500", "name": "default", "created_at": 1.0},
                {"guild_id": "", "name": "empty", "created_at": 1.0},
            ],
        )
        rows = [
            (1, 1, "qa", QA.format(q="Member question?", a="Member answer."), "3"),
            (2, 1, "qa", QA.format(q="Other question?", a="Other answer."), "4"),
            (3, 1, "document", "The lighthouse keeper is Ada.", "3"),
            (4, 1, "document", "The harbour opens at dawn.", ""),
            (5, 2, "qa", QA.format(q="Server question?", a="Server answer."), "3"),
        ]
        await conn.execute(
            insert(old.tables["trainer_examples"]),
            [
                {
                    "dataset_id": dataset,
                    "label": "positive",
                    "kind": kind,
                    "source": "inline",
                    "content": content,
                    "content_hash": f"h{id_}",
                    "name": "",
                    "author_id": author,
                    "created_at": 1.0,
                }
                for id_, dataset, kind, content, author in rows
            ],
        )
        await conn.execute(
            insert(old.tables["trainer_passages"]),
            [
                {"example_id": 3, "guild_id": "", "position": 0, "text": rows[2][3]},
                {"example_id": 4, "guild_id": "", "position": 0, "text": rows[3][3]},
            ],
        )
        await conn.execute(
            insert(old.tables["trainer_jobs"]),
            {
                "id": "ftjob-dm",
                "guild_id": "",
                "dataset": "default",
                "provider": "openai",
                "base_url": base_url,
                "account_id": "",
                "method": "supervised",
                "training_file": "",
                "status": "succeeded",
                "channel_id": "dm-3",
                "fine_tuned_model": "ft:gpt-4o-mini:org:botkit:dm",
                "error": None,
                "announced": True,
                "created_at": 1.0,
                "updated_at": 1.0,
            },
        )
    await engine.dispose()


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def url_0_2(request: pytest.FixtureRequest, tmp_path: Path, fake: FakeOpenAI) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    await database_0_2(url, fake.base_url)
    return url


async def test_a_0_2_database_gives_each_person_their_own_dm_rows(
    botkit_harness: Any, trainer_config: dict[str, Any], url_0_2: str
) -> None:
    chat = Chat({})
    config = {
        "bot": {"owner_ids": [OWNER]},
        "trainer": trainer_config,
        "storage": {"url": url_0_2},
    }
    other = User(id="4", name="other")
    async with botkit_harness(
        plugins={"trainer": botkit_trainer, "chat": chat}, config=config
    ) as bot:
        listings = {
            user.id: (await bot.dm("!datasets", user=user)).text
            for user in (bot.member, other, bot.owner)
        }
        server = await bot.send("!datasets")
        await bot.dm("Who keeps the lighthouse?", user=bot.member)
        await bot.dm("Who keeps the lighthouse?", user=other)
        owner_jobs = await bot.dm("!jobs", user=bot.owner)
        member_jobs = await bot.dm("!jobs", user=bot.member)
        async with bot.bot.storage.session() as session:
            named = (await session.execute(select(people.c.example_id, people.c.user_id))).all()
            example_ids = (await session.execute(select(examples.c.id))).scalars().all()
    assert listings == {
        "3": "**default** (current): 1 positive, 0 negative Q&A, 1 document(s)",
        "4": "**default** (current): 1 positive, 0 negative Q&A, 0 document(s)",
        "1": "**default** (current): 0 positive, 0 negative Q&A, 1 document(s)\n"
        "**empty**: 0 positive, 0 negative Q&A, 0 document(s)",
    }
    assert server.text == "**default** (current): 1 positive, 0 negative Q&A, 0 document(s)"
    assert chat.calls[0] == ("Who keeps the lighthouse?", ["The lighthouse keeper is Ada."])
    assert chat.calls[1] == ("Who keeps the lighthouse?", [])
    assert "`ftjob-dm` dataset default" in owner_jobs.text
    assert member_jobs.text.startswith("No fine-tuning jobs yet.")
    assert sorted(named) == [(1, "3"), (2, "4"), (3, "3"), (5, "3")]
    assert sorted(example_ids) == [1, 2, 3, 4, 5]
