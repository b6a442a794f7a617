"""Tables created and upgraded through each plugin's Alembic revisions, earlier rows kept."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import notes_plugin
import pytest
from sqlalchemy import select, text

import botkit
from botkit.bot import Bot
from botkit.config import Config
from botkit.migrations import Schema, upgrade, version_of
from botkit.storage import Storage, default_url
from botkit.testing import RecordingAdapter

V01_NOTES = (
    "CREATE TABLE notes_plugin_notes "
    "(id INTEGER PRIMARY KEY, user_id VARCHAR(32) NOT NULL, text VARCHAR(200) NOT NULL)"
)


def notes_schema() -> Schema:
    return Schema("notes", notes_plugin.metadata, Path(notes_plugin.__file__).parent / "migrations")


async def test_an_empty_database_gets_every_revision(tmp_path) -> None:
    storage = Storage(default_url(tmp_path))
    assert await upgrade(storage, [notes_schema()]) == []
    async with storage.engine.connect() as conn:
        assert await conn.run_sync(version_of, "notes") == "0002"
        await conn.execute(notes_plugin.notes.insert().values(user_id="1", text="x", pinned=1))
    await storage.close()


async def test_a_database_of_the_earlier_release_keeps_its_rows(tmp_path) -> None:
    with sqlite3.connect(tmp_path / "botkit.db") as db:
        db.execute(V01_NOTES)
        db.executemany(
            "INSERT INTO notes_plugin_notes (user_id, text) VALUES (?, ?)",
            [("1", "first"), ("2", "second")],
        )
    storage = Storage(default_url(tmp_path))
    assert await upgrade(storage, [notes_schema()]) == []
    async with storage.session() as session:
        rows = (await session.execute(select(notes_plugin.notes))).all()
    await storage.close()
    assert [(r.user_id, r.text, r.pinned) for r in rows] == [("1", "first", 0), ("2", "second", 0)]


async def test_upgrading_twice_changes_nothing(tmp_path) -> None:
    storage = Storage(default_url(tmp_path))
    await upgrade(storage, [notes_schema()])
    assert await upgrade(storage, [notes_schema()]) == []
    async with storage.engine.connect() as conn:
        assert await conn.run_sync(version_of, "notes") == "0002"
    await storage.close()


async def test_a_failing_revision_fails_only_its_plugin(tmp_path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "0001_bad.py").write_text(
        'from alembic import op\nrevision = "0001"\ndown_revision = None\n\n'
        'def upgrade():\n    op.execute("CREATE TABLE")\n',
        encoding="utf-8",
    )
    storage = Storage(default_url(tmp_path))
    failures = await upgrade(storage, [Schema("broken", None, broken), notes_schema()])
    async with storage.engine.connect() as conn:
        assert await conn.run_sync(version_of, "notes") == "0002"
    await storage.close()
    assert [name for name, _ in failures] == ["broken"]
    assert "OperationalError" in failures[0][1]


async def test_the_bot_marks_a_plugin_whose_tables_fail(tmp_path) -> None:
    class Broken:
        @botkit.hookimpl
        def botkit_migrations(self) -> Path:
            return tmp_path / "broken"

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "0001_bad.py").write_text(
        'from alembic import op\nrevision = "0001"\ndown_revision = None\n\n'
        'def upgrade():\n    op.execute("NOT SQL")\n',
        encoding="utf-8",
    )
    raw = {"bot": {"data_dir": str(tmp_path / "data")}}
    bot = Bot.build(Config.from_dict(raw), extra_plugins=[("broken", Broken())], entry_points=False)
    await bot.start(RecordingAdapter())
    await bot.stop()
    status = bot.plugins.statuses["broken"]
    assert status.state == "error"
    assert status.error.startswith("could not create or upgrade its tables: OperationalError")


async def test_postgresql_upgrade_holds_the_lock_and_keeps_rows(postgres_url) -> None:
    storage = Storage(postgres_url)
    async with storage.engine.begin() as conn:
        await conn.execute(text(V01_NOTES.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")))
        await conn.execute(text("INSERT INTO notes_plugin_notes (user_id, text) VALUES ('1', 'a')"))
    assert await upgrade(storage, [notes_schema()]) == []
    async with storage.session() as session:
        rows = (await session.execute(select(notes_plugin.notes))).all()
    await storage.close()
    assert [(r.user_id, r.text, r.pinned) for r in rows] == [("1", "a", 0)]


@pytest.mark.parametrize("attempt", range(20))
def test_two_processes_start_together_on_an_empty_database(
    attempt: int, postgres_url: str, tmp_path: Path
) -> None:
    """Both shard processes reach ready; before the lock one failed about one start in four."""
    config = tmp_path / "botkit.toml"
    config.write_text(f'[storage]\nurl = "{postgres_url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    env["BOTKIT_DATA_DIR"] = str(tmp_path / "data")
    command = [sys.executable, "-m", "botkit.cli", "run", "--config", str(config)]
    runs = [
        subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        for _ in range(2)
    ]
    results = [run.communicate(b"!hi\n", timeout=120) for run in runs]
    assert [
        (run.returncode, out.decode().splitlines()[:1])
        for run, (out, _) in zip(runs, results, strict=True)
    ] == [
        (0, ["HI!"]),
        (0, ["HI!"]),
    ], [err.decode()[-2000:] for _, err in results]


async def test_dm_settings_of_the_earlier_release_go_to_the_owners_dm_space(
    tmp_path, storage_url
) -> None:
    """0.2 kept every DM's switches and !config values under one empty server id."""
    storage = Storage(storage_url or default_url(tmp_path))
    await upgrade(storage, [])
    await storage.set_setting("botkit", "", "disabled_plugins", ["voice"])
    await storage.set_setting("config:openai_chat", "", "config", {"temperature": 0.1})
    await storage.set_setting("botkit.web", "", "token:abc", {"kept": True})  # not a DM's
    await upgrade(storage, [], owner_id="42")
    moved = await storage.get_setting("botkit", "dm:42", "disabled_plugins", None)
    config = await storage.get_setting("config:openai_chat", "dm:42", "config", None)
    shared = await storage.get_setting("botkit", "", "disabled_plugins", None)
    web = await storage.get_setting("botkit.web", "", "token:abc", None)
    await storage.close()
    assert (moved, config, shared, web) == (["voice"], {"temperature": 0.1}, None, {"kept": True})
