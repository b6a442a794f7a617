"""A database made by botkit 0.1 upgrades in place: every row kept, jobs get their provider."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from botkit_trainer.tables import metadata
from conftest import poll
from sqlalchemy import Column, MetaData, Table, create_engine, insert

from botkit_testkit.openai_server import FakeOpenAI

ADDED = {
    "provider",
    "account_id",
    "training_file",
}  # columns of trainer_jobs that botkit 0.1 did not have


def old_database(path: Path, base_url: str) -> None:
    """The trainer's tables as botkit 0.1 created them, with a row in each."""
    old = MetaData()
    for table in metadata.sorted_tables:
        columns = [
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
            if not (table.name == "trainer_jobs" and c.name in ADDED)
        ]
        Table(table.name, old, *columns)
    engine = create_engine(f"sqlite:///{path}")
    old.create_all(engine)
    content = (
        '{"messages":[{"content":"Old question?","role":"user"},'
        '{"content":"Old answer.","role":"assistant"}]}'
    )
    with engine.begin() as conn:
        conn.execute(
            insert(old.tables["trainer_datasets"]),
            {"id": 1, "guild_id": "500", "name": "legacy", "created_at": 1.0},
        )
        conn.execute(
            insert(old.tables["trainer_examples"]),
            {
                "id": 1,
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
        conn.execute(
            insert(old.tables["trainer_passages"]),
            {"id": 1, "example_id": 1, "guild_id": "500", "position": 0, "text": "x"},
        )
        conn.execute(
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
    engine.dispose()


@pytest.fixture
def backend_url(tmp_path: Path, fake: FakeOpenAI) -> str:
    path = tmp_path / "old.db"
    old_database(path, fake.base_url)
    return f"sqlite+aiosqlite:///{path}"


async def test_a_0_1_database_keeps_its_rows_and_jobs(
    start: Any, fake: FakeOpenAI, tmp_path: Path
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
        listing = await bot.send("!datasets")
        await poll(bot)
        jobs = await bot.send("!jobs")
    assert listing.text == "**legacy**: 1 positive, 0 negative Q&A, 0 document(s)"
    assert jobs.text == (
        "`ftjob-old` dataset legacy, supervised: succeeded → `ft:gpt-4o-mini:org:botkit:old`"
    )
    assert [s.text for s in bot.adapter.sent if s.text.startswith("Fine-tuning job")] == [
        "Fine-tuning job `ftjob-old` (dataset legacy) succeeded: model "
        "`ft:gpt-4o-mini:org:botkit:old` is ready."
    ]
    with sqlite3.connect(tmp_path / "old.db") as db:
        columns = {row[1] for row in db.execute("pragma table_info(trainer_jobs)")}
        provider = db.execute("select provider, account_id from trainer_jobs").fetchall()
        version = db.execute("select version_num from botkit_schema_trainer").fetchall()
    assert columns >= ADDED
    assert provider == [("openai", "")]
    assert version == [("0002",)]
