"""One job poller across processes: on PostgreSQL the poller of whichever process holds a
session-level advisory lock; another takes it over when the holder's connection ends (the
process died). On SQLite (one process) every poller polls."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import text

log = logging.getLogger("botkit.plugin.trainer")

# pg_try_advisory_lock takes a bigint: the first 8 bytes of sha256("botkit_trainer.poller").
LOCK_KEY = 0x4F0C4B2D5E1A7C39


class Leadership:
    """Holds the lock on a connection of its own, checked before each poll round."""

    def __init__(self, engine: Any, dialect: str) -> None:
        self._engine = engine
        self._shared = dialect == "postgresql"
        self._conn: Any = None

    @property
    def holding(self) -> bool:
        return not self._shared or self._conn is not None

    async def acquire(self) -> bool:
        """True when this process may poll now (it holds, or has just taken, the lock)."""
        if not self._shared:
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception as exc:
                log.warning(
                    "lost the job poller lock (%s); trying to take it again", type(exc).__name__
                )
                await self._discard()
        conn = await self._engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
            ).scalar()
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        log.info("this process now polls the fine-tuning jobs")
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        try:
            await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            await self._conn.close()
        except Exception:
            await self._discard()
        self._conn = None

    async def _discard(self) -> None:
        """Drop a broken connection without returning it to the pool (it may hold the lock)."""
        conn, self._conn = self._conn, None
        try:
            await conn.invalidate()
            await conn.close()
        except Exception:
            log.debug("closing the lost poller connection failed", exc_info=True)
