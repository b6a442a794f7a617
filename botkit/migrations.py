"""Creating and upgrading every plugin's tables through Alembic, under one lock.

Each plugin's revision scripts live in the directory its ``botkit_migrations`` hook returns
and are tracked in a version table of its own, ``botkit_schema_<plugin>``, so plugins upgrade
independently, in registration order. On PostgreSQL the whole upgrade holds an advisory lock,
so several bot processes (shards) starting together on one database take turns; SQLite has a
single writer anyway. A plugin without revision scripts gets its missing tables created as
declared.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

    from botkit.storage import Storage

log = logging.getLogger("botkit.migrations")

LOCK_KEY = 0x626F746B6974  # "botkit"


@attrs.frozen
class Schema:
    """One plugin's tables and, optionally, its Alembic revisions."""

    plugin: str
    metadata: MetaData | None = None
    migrations: Path | None = None


# 0.2 kept every DM's switches, rules, cooldowns, tool choices and !config values under one
# empty server id; each person's DMs are a space of their own now, and those rows name no
# author, so they go to the owner's (a row the owner already has there is kept as it is)
DM_ROWS_TO_OWNER = (
    "UPDATE botkit_guild_settings SET guild_id = :space WHERE guild_id = '' AND ("
    "(plugin = 'botkit' AND key IN "
    "('disabled_plugins', 'cooldowns', 'rules', 'rules_silent', 'tools')) "
    "OR (plugin LIKE 'config:%' AND key = 'config')) AND NOT EXISTS ("
    "SELECT 1 FROM botkit_guild_settings AS mine WHERE mine.guild_id = :space "
    "AND mine.plugin = botkit_guild_settings.plugin AND mine.key = botkit_guild_settings.key)"
)


async def upgrade(
    storage: Storage, schemas: list[Schema], owner_id: str = ""
) -> list[tuple[str, str]]:
    """Bring the host's and every plugin's tables up to date; return (plugin, problem) for
    each plugin whose upgrade failed (its tables are left as they were).

    A revision reads ``op.get_context().opts["botkit_owner_id"]``: the bot's first owner, who
    keeps direct-message rows that name no author when DMs become one space per person."""
    from sqlalchemy import text

    from botkit.storage import host_metadata

    failures: list[tuple[str, str]] = []
    postgres = storage.dialect == "postgresql"
    async with storage.engine.connect() as conn:
        if postgres:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            await conn.commit()
        try:
            await conn.run_sync(lambda sync: host_metadata.create_all(sync, checkfirst=True))
            if owner_id:
                await conn.execute(text(DM_ROWS_TO_OWNER), {"space": f"dm:{owner_id}"})
            await conn.commit()
            for schema in schemas:
                try:
                    await conn.run_sync(_upgrade_one, schema, owner_id)
                    await conn.commit()
                except Exception as exc:
                    await conn.rollback()
                    log.exception("tables of plugin %s could not be upgraded", schema.plugin)
                    failures.append((schema.plugin, f"{type(exc).__name__}: {exc}"))
        finally:
            if postgres:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                await conn.commit()
    return failures


def _upgrade_one(connection: Connection, schema: Schema, owner_id: str = "") -> None:
    if schema.migrations is None:
        if schema.metadata is not None:
            schema.metadata.create_all(connection, checkfirst=True)
        return
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    location = str(schema.migrations)
    config = Config()
    config.set_main_option("script_location", location)
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", location)
    script = ScriptDirectory.from_config(config)

    def steps(revision: Any, context: Any) -> Any:
        return script._upgrade_revs("head", revision)

    with EnvironmentContext(config, script, fn=steps, destination_rev="head") as env:
        env.configure(
            connection=connection,
            target_metadata=schema.metadata,
            version_table=f"botkit_schema_{schema.plugin}",
            botkit_owner_id=owner_id,
        )
        with env.begin_transaction():
            env.run_migrations()
    log.info("tables of plugin %s at revision %s", schema.plugin, script.get_current_head())


def version_of(connection: Connection, plugin: str) -> str | None:
    """The revision a plugin's tables are at (None: never upgraded through Alembic)."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(
        connection, opts={"version_table": f"botkit_schema_{plugin}"}
    )
    return context.get_current_revision()
