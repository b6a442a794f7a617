"""Full-text search over document passages: SQLite FTS5, or PostgreSQL text search."""

from __future__ import annotations

import functools
import re
from pathlib import PurePosixPath
from typing import Any

import attrs
from sqlalchemy import func, literal_column, select, text

from botkit_trainer.tables import examples, passages

Storage = Any  # botkit.Storage: .session, .engine, .dialect

MAX_TERMS = 32
PG_CONFIG = literal_column("'english'::regconfig")

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE trainer_passages_fts USING fts5(text, content='trainer_passages', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "INSERT INTO trainer_passages_fts(trainer_passages_fts) VALUES ('rebuild')",
    "CREATE TRIGGER IF NOT EXISTS trainer_passages_fts_insert AFTER INSERT ON trainer_passages "
    "BEGIN INSERT INTO trainer_passages_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS trainer_passages_fts_delete AFTER DELETE ON trainer_passages "
    "BEGIN INSERT INTO trainer_passages_fts(trainer_passages_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
)
PG_DDL = (
    "CREATE INDEX IF NOT EXISTS trainer_passages_tsv ON trainer_passages "
    "USING gin (to_tsvector('english'::regconfig, text))"
)

SQLITE_QUERY = text(
    "SELECT e.name, p.text FROM trainer_passages_fts f "
    "JOIN trainer_passages p ON p.id = f.rowid "
    "JOIN trainer_examples e ON e.id = p.example_id "
    "WHERE trainer_passages_fts MATCH :query AND p.guild_id = :guild "
    "ORDER BY bm25(trainer_passages_fts) LIMIT :limit"
)


@attrs.frozen
class Passage:
    """A passage found for a query, with the name of its document."""

    document: str
    text: str

    def snippet(self) -> str:
        return f"[{self.document}] {self.text}" if self.document else self.text


async def ensure_index(storage: Storage) -> None:
    """Create the search index next to the passages table (once; idempotent)."""
    async with storage.engine.begin() as conn:
        if storage.dialect == "postgresql":
            await conn.execute(text(PG_DDL))
            return
        exists = await conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'trainer_passages_fts'")
        )
        if exists.first() is None:
            for statement in SQLITE_DDL[:2]:
                await conn.execute(text(statement))
        for statement in SQLITE_DDL[2:]:
            await conn.execute(text(statement))


async def compact(storage: Storage) -> None:
    """After a deletion, rewrite the SQLite search index and write the log back into the
    database file, so deleted text leaves both (PostgreSQL keeps its data elsewhere)."""
    if storage.dialect != "sqlite":
        return
    async with storage.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA secure_delete = ON")
        await conn.exec_driver_sql(
            "INSERT INTO trainer_passages_fts(trainer_passages_fts) VALUES ('optimize')"
        )
        await conn.commit()
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def terms(message: str) -> list[str]:
    """The distinct words of ``message`` (two characters or more), in order."""
    words = dict.fromkeys(w for w in re.findall(r"\w+", message.lower()) if len(w) > 1)
    return list(words)[:MAX_TERMS]


async def search(storage: Storage, space: str, message: str, limit: int) -> list[Passage]:
    """The space's passages that best match any word of ``message``, best first."""
    words = terms(message)
    if not words or limit <= 0:
        return []
    async with storage.session() as session:
        if storage.dialect == "postgresql":
            rows = (await session.execute(_pg_query(words, space, limit))).all()
        else:
            params = {
                "query": " OR ".join(f'"{w}"' for w in words),
                "guild": space,
                "limit": limit,
            }
            rows = (await session.execute(SQLITE_QUERY, params)).all()
    return [Passage(PurePosixPath(name).name if name else "", body) for name, body in rows]


def _pg_query(words: list[str], guild: str, limit: int) -> Any:
    query = functools.reduce(
        lambda a, b: a.op("||")(b), (func.plainto_tsquery(PG_CONFIG, w) for w in words)
    )
    vector = func.to_tsvector(PG_CONFIG, passages.c.text)
    return (
        select(examples.c.name, passages.c.text)
        .join(examples, examples.c.id == passages.c.example_id)
        .where(passages.c.guild_id == guild, vector.op("@@")(query))
        .order_by(func.ts_rank(vector, query).desc(), passages.c.id)
        .limit(limit)
    )
