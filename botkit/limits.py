"""Where the gate keeps cooldown uses and runs under way: one process's memory, or PostgreSQL
shared by every process of the bot.

A :class:`LimitStore` answers for one bucket key (a server, a command, whose uses count
together) at a time:

- ``full(key, rate, per)``: the cooldown as it stands (None: room for one more use);
- ``take(key, rate, per)``: take one use, or say the window is full (as ``full``);
- ``running(key, limit)``: how many runs are under way; ``enter(key, limit)`` takes a run's slot
  (False: ``limit`` already run); ``leave(key)`` gives it back.

:class:`MemoryLimits` is for one process (the gate's clock, injectable). :class:`PostgresLimits`
holds for every process on one database: uses are rows in ``botkit_limit_uses`` taken under a
transaction advisory lock per key, timed by the database's clock, so machines need not agree on
the time; a run's slot is a session advisory lock on its own connection, so the slots of a
process that dies are freed with its connection. When the database cannot be reached, commands
are not held back (a cooldown is not worth refusing every command): it logs and lets them run.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import attrs

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger("botkit.limits")

MAX_BUCKETS = 100_000  # keys remembered at once in memory; the oldest are forgotten
SWEEP_EVERY = 1000  # takes between deletions of every key's expired uses (PostgreSQL)
NOW = "extract(epoch from clock_timestamp())::float8"


@attrs.frozen
class Full:
    """A full cooldown window: seconds until a use frees up, and which window it is (the
    oldest use's time, so that a refusal is told once per window)."""

    wait: float
    window: float


class LimitStore(Protocol):
    """Cooldown uses and runs under way, per bucket key."""

    async def full(self, key: str, rate: int, per: float) -> Full | None: ...

    async def take(self, key: str, rate: int, per: float) -> Full | None: ...

    async def running(self, key: str, limit: int) -> int: ...

    async def enter(self, key: str, limit: int) -> bool: ...

    async def leave(self, key: str) -> None: ...


class MemoryLimits:
    """One process's limits, in memory (the most recent :data:`MAX_BUCKETS` keys)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._uses: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )
        self._running: dict[str, int] = {}

    def _recent(self, key: str, per: float) -> list[float]:
        now = self.clock()
        return [t for t in self._uses.get(key, ()) if t > now - per]

    def _full(self, recent: list[float], rate: int, per: float) -> Full | None:
        if len(recent) < rate:
            return None
        return Full(recent[0] + per - self.clock(), recent[0])

    async def full(self, key: str, rate: int, per: float) -> Full | None:
        return self._full(self._recent(key, per), rate, per)

    async def take(self, key: str, rate: int, per: float) -> Full | None:
        recent = self._recent(key, per)
        refused = self._full(recent, rate, per)
        if refused is None:
            self._uses[key] = collections.deque([*recent, self.clock()])
            self._uses.move_to_end(key)
            if len(self._uses) > MAX_BUCKETS:
                self._uses.popitem(last=False)
        return refused

    async def running(self, key: str, limit: int) -> int:
        return self._running.get(key, 0)

    async def enter(self, key: str, limit: int) -> bool:
        if self._running.get(key, 0) >= limit:
            return False
        self._running[key] = self._running.get(key, 0) + 1
        return True

    async def leave(self, key: str) -> None:
        left = self._running.pop(key, 0) - 1
        if left > 0:
            self._running[key] = left


def lock_key(key: str, slot: int = -1) -> int:
    """A stable 63-bit advisory lock key for a bucket key (and a run slot)."""
    digest = hashlib.blake2b(f"botkit-limit:{key}:{slot}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class PostgresLimits:
    """Limits every process of the bot shares through its PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._held: dict[str, list[int]] = {}  # key -> run slots this process holds
        self._takes = 0
        self._failing = False

    async def _connection(self) -> asyncpg.Connection:
        from botkit.cluster import TABLES_LOCK, connect

        if self._conn is None or self._conn.is_closed():
            self._held.clear()  # session locks went with the old connection
            conn = await connect(self.url)
            try:
                async with conn.transaction():  # processes starting together: one creates it
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", TABLES_LOCK)
                    await conn.execute(
                        "CREATE TABLE IF NOT EXISTS botkit_limit_uses (key text NOT NULL, "
                        "at float8 NOT NULL, expires_at float8 NOT NULL)"
                    )
                    await conn.execute(
                        "CREATE INDEX IF NOT EXISTS botkit_limit_uses_key "
                        "ON botkit_limit_uses (key, at)"
                    )
            except BaseException:
                conn.terminate()
                raise
            self._conn = conn
        return self._conn

    def _unreachable(self, exc: BaseException) -> None:
        if not self._failing:
            log.warning("limits not shared: the database cannot be reached (%s)", exc)
        self._failing = True
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.terminate()

    async def full(self, key: str, rate: int, per: float) -> Full | None:
        return await self._cooldown(key, rate, per, take=False)

    async def take(self, key: str, rate: int, per: float) -> Full | None:
        return await self._cooldown(key, rate, per, take=True)

    async def _cooldown(self, key: str, rate: int, per: float, *, take: bool) -> Full | None:
        from botkit.cluster import _db_errors

        async with self._lock:
            try:
                conn = await self._connection()
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(key))
                    now = await conn.fetchval(f"SELECT {NOW}")
                    uses = await conn.fetch(
                        "SELECT at FROM botkit_limit_uses WHERE key = $1 AND at > $2 ORDER BY at",
                        key,
                        now - per,
                    )
                    if len(uses) >= rate:
                        oldest = uses[0]["at"]
                        return Full(oldest + per - now, oldest)
                    if take:
                        await conn.execute(
                            "INSERT INTO botkit_limit_uses (key, at, expires_at) "
                            "VALUES ($1, $2, $3)",
                            key,
                            now,
                            now + per,
                        )
                        await self._sweep(conn, key, now)
                self._failing = False
            except _db_errors() as exc:
                self._unreachable(exc)
        return None

    async def _sweep(self, conn: asyncpg.Connection, key: str, now: float) -> None:
        """Delete this key's expired uses; every so often everyone's."""
        self._takes += 1
        if self._takes % SWEEP_EVERY == 0:
            await conn.execute("DELETE FROM botkit_limit_uses WHERE expires_at <= $1", now)
        else:
            await conn.execute(
                "DELETE FROM botkit_limit_uses WHERE key = $1 AND expires_at <= $2", key, now
            )

    async def running(self, key: str, limit: int) -> int:
        """Runs under way over every process (slots of this key locked by any session)."""
        from botkit.cluster import _db_errors

        async with self._lock:
            try:
                conn = await self._connection()
                slots = await conn.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objsubid = 1 AND ((classid::int8 << 32) | objid::int8) = ANY($1::int8[])",
                    [lock_key(key, slot) for slot in range(limit)],
                )
            except _db_errors() as exc:
                self._unreachable(exc)
                return 0
        return int(slots)

    async def enter(self, key: str, limit: int) -> bool:
        from botkit.cluster import _db_errors

        async with self._lock:
            try:
                conn = await self._connection()
                mine = self._held.setdefault(key, [])
                for slot in range(limit):
                    if slot in mine:  # a session's advisory locks are reentrant: skip ours
                        continue
                    if await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(key, slot)):
                        mine.append(slot)
                        return True
                if not mine:
                    del self._held[key]
                return False
            except _db_errors() as exc:
                self._unreachable(exc)
                return True

    async def leave(self, key: str) -> None:
        from botkit.cluster import _db_errors

        async with self._lock:
            mine = self._held.get(key)
            if not mine:
                return
            slot = mine.pop()
            if not mine:
                del self._held[key]
            if self._conn is None or self._conn.is_closed():
                return
            try:
                await self._conn.execute("SELECT pg_advisory_unlock($1)", lock_key(key, slot))
            except _db_errors() as exc:
                self._unreachable(exc)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                self._held.clear()
                try:
                    await conn.close(timeout=1)
                except Exception:
                    conn.terminate()


__all__ = ["Full", "LimitStore", "MemoryLimits", "PostgresLimits", "lock_key"]
