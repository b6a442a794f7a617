"""Storage through SQLAlchemy 2 async: SQLite in the data directory, or PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url

if TYPE_CHECKING:  # the asyncio extension pulls in the ORM: imported when the engine is made
    from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

host_metadata = MetaData()

guild_settings = Table(
    "botkit_guild_settings",
    host_metadata,
    Column("plugin", String(100), primary_key=True),
    Column("guild_id", String(32), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# Several processes, one bot (botkit.cluster): used on PostgreSQL only. Times are the
# database's clock in seconds since the epoch, so the machines' clocks never need to agree.
shard_leases = Table(
    "botkit_shard_leases",
    host_metadata,
    Column("shard_id", Integer, primary_key=True, autoincrement=False),
    Column("holder", String(100), nullable=True),
    Column("generation", BigInteger, nullable=False, default=0),
    Column("expires_at", Float, nullable=False, default=0.0),
    Column("claimed_at", Float, nullable=False, default=0.0),
)
cluster_members = Table(
    "botkit_cluster_members",
    host_metadata,
    Column("holder", String(100), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("shard_count", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
)
identify_buckets = Table(
    "botkit_identify_buckets",
    host_metadata,
    Column("bucket", Integer, primary_key=True, autoincrement=False),
    Column("last_at", Float, nullable=False, default=0.0),
)
CLUSTER_TABLES = (shard_leases, cluster_members, identify_buckets)
SETTINGS_CHANNEL = "botkit_settings"  # NOTIFY payload: {"plugin", "guild", "key", "origin"}


def default_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'botkit.db'}"


class Storage:
    """The bot's database: one engine, tables created in plugin order, per-guild settings."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect: str = make_url(url).get_backend_name()
        self._engine: AsyncEngine | None = None
        self._session: async_sessionmaker[Any] | None = None
        self.origin = uuid.uuid4().hex  # names this process's changes in notifications

    @property
    def engine(self) -> AsyncEngine:
        """The engine, created (and its database driver imported) on first use."""
        if self._engine is None:
            from sqlalchemy.ext.asyncio import create_async_engine

            self._engine = create_async_engine(self.url, **_engine_options(self.url))
            if self.dialect == "sqlite":
                event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
        return self._engine

    @property
    def session(self) -> async_sessionmaker[Any]:
        """``async with storage.session() as session`` (or ``session.begin()``)."""
        if self._session is None:
            from sqlalchemy.ext.asyncio import async_sessionmaker

            self._session = async_sessionmaker(self.engine, expire_on_commit=False)
        return self._session

    def insert(self, table: Table) -> Any:
        """An INSERT for this database's dialect, with ``on_conflict_do_update`` and
        ``on_conflict_do_nothing`` (SQLite and PostgreSQL)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    async def get_setting(self, plugin: str, guild_id: str | None, key: str, default: Any) -> Any:
        """A per-guild value a command stored, or ``default``."""
        query = select(guild_settings.c.value).where(
            guild_settings.c.plugin == plugin,
            guild_settings.c.guild_id == (guild_id or ""),
            guild_settings.c.key == key,
        )
        async with self.session() as session:
            value = (await session.execute(query)).scalar_one_or_none()
        return default if value is None else json.loads(value)

    async def settings_by_guild(self, plugin: str, key: str) -> dict[str, Any]:
        """Every guild's stored value of one key, in one query."""
        query = select(guild_settings.c.guild_id, guild_settings.c.value).where(
            guild_settings.c.plugin == plugin, guild_settings.c.key == key
        )
        async with self.session() as session:
            rows = (await session.execute(query)).all()
        return {guild: json.loads(value) for guild, value in rows}

    async def set_setting(self, plugin: str, guild_id: str | None, key: str, value: Any) -> None:
        """Store a per-guild value (any JSON value); concurrent writers never collide.

        On PostgreSQL the change is announced on ``SETTINGS_CHANNEL`` when it commits, so every
        other process of the bot reloads it (``botkit.cluster.SettingsFollower``).
        """
        row = {"plugin": plugin, "guild_id": guild_id or "", "key": key, "value": json.dumps(value)}
        stmt = self.insert(guild_settings).values(**row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["plugin", "guild_id", "key"], set_={"value": stmt.excluded.value}
        )
        async with self.session.begin() as session:
            await session.execute(stmt)
            if self.dialect == "postgresql":
                note = {"plugin": plugin, "guild": row["guild_id"], "key": key}
                payload = json.dumps({**note, "origin": self.origin})
                await session.execute(
                    text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": SETTINGS_CHANNEL, "payload": payload},
                )


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


__all__ = [
    "CLUSTER_TABLES",
    "SETTINGS_CHANNEL",
    "Storage",
    "cluster_members",
    "default_url",
    "host_metadata",
    "identify_buckets",
    "shard_leases",
]
