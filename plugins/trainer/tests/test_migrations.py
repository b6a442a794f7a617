"""A database made by botkit 0.1 upgrades in place: every row kept, jobs get their provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from botkit_trainer.tables import metadata
from conftest import poll
from sqlalchemy import Column, MetaData, Table, insert, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

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
        await bot.send("!dataset legacy")
        await bot.send("!train New question? => New answer.")
        listing = await bot.send("!datasets")
        await poll(bot)
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
    assert version == [("0002",)]
