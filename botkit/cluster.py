"""Several processes, one bot, through PostgreSQL: shard leases, identify slots, shared
per-server state and one leader for work that must run once.

- :class:`ShardLeases`: this process's share of the shards. Each shard has one row in
  ``botkit_shard_leases``; a process claims free or expired rows (at most ``max_shards``),
  renews them every ``lease_seconds / 3`` and gives them back when it stops. Every claim
  raises the row's generation, and a renewal names the generation it holds, so a process
  whose lease was taken learns it at once. A process that cannot renew closes its shards
  ``FENCE`` of a lease after its last successful renewal began: before the lease can expire
  in the database, so no two processes ever serve one shard.
- :class:`IdentifyLimiter`: at most one IDENTIFY per ``window`` seconds per bucket over all
  processes (Discord: ``shard_id % max_concurrency``, 5 s); the shards waiting are kept in
  ``botkit_identify_waits`` for ``botkit cluster``.
- :class:`Presence`: a process with fixed shards in ``botkit_cluster_members`` too, so each
  process knows how many share the bot token (Discord: its share of the REST limit).
- :class:`SettingsFollower`: per-server values another process stored
  (``Storage.set_setting`` announces them with NOTIFY) reloaded here within a second;
  :class:`StateSync` also puts the gate's cooldowns and concurrency limits in the database
  (``botkit.limits.PostgresLimits``).
- :class:`Leader`: one process at a time runs a piece of background work (an advisory lock).
- :func:`cluster_status`: what ``botkit cluster`` prints (processes, shards, identify queue).

Times in the tables are the database's clock (``clock_timestamp()``), so the machines'
clocks never need to agree. Each object holds its own connection (asyncpg, from the
``[storage] url``); nothing here is imported unless the bot runs on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Protocol

import attrs
from sqlalchemy import Column, Float, Integer, MetaData, String, Table
from sqlalchemy.engine import make_url

from botkit.storage import CLUSTER_TABLES, SETTINGS_CHANNEL

if TYPE_CHECKING:
    import asyncpg

    from botkit.config import Config
    from botkit.gate import Gate
    from botkit.plugins import Plugins
    from botkit.server_config import ServerConfig
    from botkit.storage import Storage
    from botkit.switches import Switches
    from botkit.tools import Toolbox

log = logging.getLogger("botkit.cluster")

identify_waits = Table(  # shards waiting for their bucket's identify slot (``botkit cluster``)
    "botkit_identify_waits",
    MetaData(),
    Column("holder", String(100), primary_key=True),
    Column("shard_id", Integer, primary_key=True, autoincrement=False),
    Column("bucket", Integer, nullable=False),
    Column("since", Float, nullable=False),
    Column("until", Float, nullable=False),  # a wait not renewed by then is over (a process died)
)


class Synced(Protocol):
    """What settings published by other processes reload (the composition root's parts)."""

    config: Config
    gate: Gate
    plugins: Plugins
    server_config: ServerConfig
    switches: Switches
    tools: Toolbox

    @property
    def storage(self) -> Storage: ...


STORED = "botkit_stored_elsewhere"  # the hook telling plugins what another process stored
LEASE_CHANNEL = "botkit_shards"  # NOTIFY: a process gave shards back; claim them now
FENCE = 0.75  # of a lease: a process that could not renew closes its shards by then
TICKS_PER_LEASE = 3
RETRY_SECONDS = 1.0
TABLES_LOCK = 0x626F746B6974_01  # advisory lock key while creating the cluster tables
NOW = "extract(epoch from clock_timestamp())::float8"


class ClusterError(Exception):
    """The cluster cannot work as configured; the message says why and what to do."""


def is_postgres(url: str) -> bool:
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


def asyncpg_dsn(url: str) -> str:
    """``postgresql+asyncpg://...`` ([storage] url) -> a DSN asyncpg connects with."""
    if not is_postgres(url):
        raise ClusterError(
            "several processes share shards and state through PostgreSQL; set [storage] url "
            "to a postgresql+asyncpg:// database"
        )
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def connect(url: str) -> asyncpg.Connection:
    import asyncpg

    return await asyncpg.connect(asyncpg_dsn(url), timeout=10)


async def ensure_tables(conn: asyncpg.Connection) -> None:
    """Create the cluster's tables where they are missing (processes may race: one lock)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", TABLES_LOCK)
        for table in (*CLUSTER_TABLES, identify_waits):
            await conn.execute(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)))


def _db_errors() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,  # e.g. a connection whose server process was ended
    )


class ShardLeases:
    """Claims, renews and gives back this process's shards (see the module docstring).

    ``start_shard(shard_id)`` is called for each shard claimed and must not block (start the
    connection in a task); ``stop_shard(shard_id)`` is awaited for each shard lost or given
    back, and must close it promptly. ``capacity()`` (optional) says how many more shards may
    be started now (Discord: the session starts left). ``on_members(n)`` (optional) is told,
    each round, how many processes are alive (Discord: this process's share of the REST limit).
    """

    def __init__(
        self,
        url: str,
        shard_count: int,
        *,
        start_shard: Callable[[int], None],
        stop_shard: Callable[[int], Awaitable[None]],
        max_shards: int = 0,
        lease_seconds: float = 30.0,
        capacity: Callable[[], Awaitable[int]] | None = None,
        on_members: Callable[[int], None] | None = None,
        holder: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.shard_count = shard_count
        self.max_shards = max_shards or shard_count
        self.lease_seconds = lease_seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held: dict[int, int] = {}  # shard id -> generation
        self.clock = clock
        self.claimed_at: dict[int, float] = {}  # shard id -> clock() when claimed
        self.renewed_at = clock()  # clock() when the last renewal round succeeded
        self._start_shard, self._stop_shard, self._capacity = start_shard, stop_shard, capacity
        self._on_members = on_members
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._fence: asyncio.TimerHandle | None = None
        self._fencing: asyncio.Task[None] | None = None
        self._saw_free = False
        self._failing = False
        self._lock = asyncio.Lock()

    @property
    def interval(self) -> float:
        return self.lease_seconds / TICKS_PER_LEASE

    def lease_age(self) -> float:
        """Seconds since this process last renewed its leases (they expire at
        ``lease_seconds``; the shards close at ``FENCE`` of it)."""
        return max(0.0, self.clock() - self.renewed_at)

    def held_for(self, shard_id: int) -> float | None:
        """Seconds since ``shard_id`` was claimed; None when not held."""
        if shard_id not in self.held or shard_id not in self.claimed_at:
            return None
        return max(0.0, self.clock() - self.claimed_at[shard_id])

    async def start(self) -> None:
        """Connect, join the cluster, claim a first share; then keep it in the background.

        Raises ClusterError when the database cannot be reached.
        """
        try:
            await self._connect()
        except _db_errors() as exc:
            raise ClusterError(f"cannot reach the database for shard leases: {exc}") from None
        await self.tick()
        self._task = asyncio.create_task(self._loop(), name="botkit shard leases")

    async def _connect(self) -> None:
        conn = await connect(self.url)
        try:
            await ensure_tables(conn)
            agreed = await conn.fetchval(
                f"SELECT shard_count FROM botkit_cluster_members WHERE heartbeat_at > {NOW} - $1 "
                "AND holder <> $2 ORDER BY started_at LIMIT 1",
                self.lease_seconds,
                self.holder,
            )
            if agreed and agreed != self.shard_count:
                log.warning(
                    "the running processes use %d shards, not %d: using theirs",
                    agreed,
                    self.shard_count,
                )
                self.shard_count = agreed
                self.max_shards = min(self.max_shards, agreed)
            await conn.execute(
                "INSERT INTO botkit_shard_leases (shard_id, holder, generation, expires_at, "
                "claimed_at) SELECT s, NULL, 0, 0, 0 FROM generate_series(0, $1 - 1) AS s "
                "ON CONFLICT DO NOTHING",
                self.shard_count,
            )
            await conn.execute(
                "INSERT INTO botkit_cluster_members (holder, host, pid, shard_count, started_at, "
                f"heartbeat_at) VALUES ($1, $2, $3, $4, {NOW}, {NOW}) ON CONFLICT (holder) DO "
                f"UPDATE SET heartbeat_at = {NOW}",
                self.holder,
                socket.gethostname(),
                os.getpid(),
                self.shard_count,
            )
            await conn.add_listener(LEASE_CHANNEL, self._notified)
        except BaseException:
            await conn.close(timeout=1)
            raise
        self._conn = conn

    def _notified(self, *args: Any) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            with suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            await self.tick()

    async def tick(self) -> None:
        """Renew what is held, drop what was taken, claim free shards: one round."""
        async with self._lock:
            began = asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(self.interval):
                    if self._conn is None or self._conn.is_closed():
                        self._conn = None
                        await self._connect()
                    await self._renew(began)
                    self.renewed_at = self.clock()
                    await self._claim()
            except _db_errors() as exc:
                await self._lost_connection(exc)
                return
            if self._failing:
                self._failing = False
                log.warning("the database answers again; shard leases renewed")

    async def _lost_connection(self, exc: BaseException) -> None:
        if not self._failing:
            self._failing = True
            log.error(
                "cannot renew shard leases (%s: %s); shards %s close in %.1f s unless the "
                "database answers again",
                type(exc).__name__,
                exc,
                sorted(self.held) or "none",
                self._fence_left(),
            )
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with suppress(Exception):
                conn.terminate()

    def _fence_left(self) -> float:
        if self._fence is None:
            return 0.0
        return max(0.0, self._fence.when() - asyncio.get_running_loop().time())

    async def _renew(self, began: float) -> None:
        assert self._conn is not None
        if self.held:
            ids, generations = zip(*self.held.items(), strict=True)
            rows = await self._conn.fetch(
                f"UPDATE botkit_shard_leases SET expires_at = {NOW} + $2 WHERE holder = $1 AND "
                "(shard_id, generation) IN (SELECT * FROM unnest($3::int[], $4::bigint[])) "
                "RETURNING shard_id",
                self.holder,
                self.lease_seconds,
                list(ids),
                list(generations),
            )
            kept = {row["shard_id"] for row in rows}
            for shard_id in sorted(set(self.held) - kept):
                log.warning("shard %d was taken by another process; closing it", shard_id)
                del self.held[shard_id]
                self.claimed_at.pop(shard_id, None)
                await self._stop_shard(shard_id)
        await self._conn.execute(
            f"UPDATE botkit_cluster_members SET heartbeat_at = {NOW} WHERE holder = $1",
            self.holder,
        )
        self._arm_fence(began)

    def _arm_fence(self, began: float) -> None:
        if self._fence is not None:
            self._fence.cancel()
        loop = asyncio.get_running_loop()
        self._fence = loop.call_at(began + self.lease_seconds * FENCE, self._fence_due)

    def _fence_due(self) -> None:
        self._fence = None
        if self.held:
            self._fencing = asyncio.create_task(self._drop_all("its lease could not be renewed"))

    async def _drop_all(self, why: str, level: int = logging.ERROR) -> None:
        held, self.held = sorted(self.held), {}
        self.claimed_at.clear()
        if held:
            log.log(level, "closing shards %s: %s", held, why)
        for shard_id in held:
            await self._stop_shard(shard_id)

    async def _claim(self) -> None:
        assert self._conn is not None
        free, live = await self._conn.fetchrow(
            f"SELECT (SELECT count(*) FROM botkit_shard_leases WHERE shard_id < $1 AND "
            f"(holder IS NULL OR expires_at < {NOW})), (SELECT count(*) FROM "
            f"botkit_cluster_members WHERE heartbeat_at > {NOW} - $2)",
            self.shard_count,
            self.lease_seconds,
        )
        if self._on_members is not None:
            self._on_members(live)
        fair = math.ceil(self.shard_count / max(1, live))
        target = min(self.max_shards, fair)
        if self._saw_free and free:  # shards nobody took for a round: take up to the maximum
            target = self.max_shards
        self._saw_free = bool(free)
        wanted = min(target - len(self.held), free)
        if wanted > 0 and self._capacity is not None:
            wanted = min(wanted, await self._capacity())
        if wanted <= 0:
            return
        rows = await self._conn.fetch(
            "WITH free AS (SELECT shard_id FROM botkit_shard_leases WHERE shard_id < $2 AND "
            f"(holder IS NULL OR expires_at < {NOW}) ORDER BY shard_id LIMIT $3 "
            "FOR UPDATE SKIP LOCKED) "
            f"UPDATE botkit_shard_leases AS l SET holder = $1, generation = l.generation + 1, "
            f"expires_at = {NOW} + $4, claimed_at = {NOW} FROM free "
            "WHERE l.shard_id = free.shard_id RETURNING l.shard_id, l.generation",
            self.holder,
            self.shard_count,
            wanted,
            self.lease_seconds,
        )
        for row in sorted(rows, key=lambda r: r["shard_id"]):
            self.held[row["shard_id"]] = row["generation"]
            self.claimed_at[row["shard_id"]] = self.clock()
            log.info("claimed shard %d (generation %d)", row["shard_id"], row["generation"])
            self._start_shard(row["shard_id"])

    async def close(self) -> None:
        """Close every shard held, give the leases back at once and leave the cluster."""
        async with self._lock:  # never cut a round short: its connection would be unusable
            if self._task is not None:
                self._task.cancel()
        if self._task is not None:
            with suppress(asyncio.CancelledError):
                await self._task
        if self._fence is not None:
            self._fence.cancel()
        async with self._lock:
            held = dict(self.held)
            await self._drop_all("this process is stopping", logging.INFO)
            if self._conn is None:
                return
            conn, self._conn = self._conn, None
            try:
                async with asyncio.timeout(self.interval):
                    await conn.execute(
                        "UPDATE botkit_shard_leases SET holder = NULL, expires_at = 0 "
                        "WHERE holder = $1 AND shard_id = ANY($2::int[])",
                        self.holder,
                        list(held),
                    )
                    await conn.execute(
                        "DELETE FROM botkit_cluster_members WHERE holder = $1", self.holder
                    )
                    await conn.execute("SELECT pg_notify($1, $2)", LEASE_CHANNEL, self.holder)
                    await conn.close(timeout=1)
            except (*_db_errors(), asyncio.CancelledError) as exc:
                log.warning("shard leases not given back (%s); they expire by themselves", exc)
                conn.terminate()
                if isinstance(exc, asyncio.CancelledError):
                    raise


class Presence:
    """A process with fixed shards that still shares something per bot token (Discord's REST
    limit): its row in ``botkit_cluster_members``, heartbeat every ``lease_seconds / 3``, and
    ``on_members(n)`` told each round how many processes are alive."""

    def __init__(
        self,
        url: str,
        shard_count: int,
        on_members: Callable[[int], None],
        *,
        lease_seconds: float = 30.0,
        holder: str | None = None,
    ) -> None:
        self.url = url
        self.shard_count = shard_count
        self.lease_seconds = lease_seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._on_members = on_members
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join (a first round now, retried in the background when the database is away)."""
        await self.tick()
        self._task = asyncio.create_task(self._loop(), name="botkit cluster presence")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / TICKS_PER_LEASE)
            await self.tick()

    async def tick(self) -> None:
        """Beat once and count the processes alive."""
        try:
            async with asyncio.timeout(self.lease_seconds / TICKS_PER_LEASE):
                if self._conn is None or self._conn.is_closed():
                    self._conn = await connect(self.url)
                    await ensure_tables(self._conn)
                live = await self._conn.fetchval(
                    "WITH beat AS (INSERT INTO botkit_cluster_members (holder, host, pid, "
                    f"shard_count, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, {NOW}, "
                    f"{NOW}) ON CONFLICT (holder) DO UPDATE SET heartbeat_at = {NOW} RETURNING "
                    "holder) SELECT (SELECT count(*) FROM botkit_cluster_members WHERE "
                    f"heartbeat_at > {NOW} - $5 AND holder <> $1) + (SELECT count(*) FROM beat)",
                    self.holder,
                    socket.gethostname(),
                    os.getpid(),
                    self.shard_count,
                    self.lease_seconds,
                )
        except _db_errors() as exc:
            log.warning("cannot reach the database to count the processes (%s)", exc)
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.terminate()
            return
        self._on_members(int(live))

    async def close(self) -> None:
        """Leave the cluster."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.execute(
                    "DELETE FROM botkit_cluster_members WHERE holder = $1", self.holder
                )
                await conn.close(timeout=1)
            except _db_errors():
                conn.terminate()


class IdentifyLimiter:
    """At most one identify per ``window`` seconds per bucket, over every process.

    A shard waiting for its slot has a row in ``botkit_identify_waits`` (the queue
    ``botkit cluster`` shows), renewed at each try and gone once it identifies.
    """

    def __init__(
        self, url: str, max_concurrency: int = 1, window: float = 5.0, holder: str | None = None
    ) -> None:
        self.url = url
        self.max_concurrency = max(1, max_concurrency)
        self.window = window
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    def bucket(self, shard_id: int) -> int:
        return shard_id % self.max_concurrency

    async def wait(self, shard_id: int) -> None:
        """Return when ``shard_id`` may identify (its bucket's slot is taken for it)."""
        while True:
            try:
                delay = await self._try(shard_id)
            except _db_errors() as exc:
                log.warning(
                    "identify slot for shard %d not reachable (%s); retrying", shard_id, exc
                )
                await self._reset()
                delay = RETRY_SECONDS
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    async def _try(self, shard_id: int) -> float:
        """Take the bucket's slot (0.0), or the seconds until it is free (queued till then)."""
        bucket = self.bucket(shard_id)
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                self._conn = await connect(self.url)
                await ensure_tables(self._conn)
            conn = self._conn
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO botkit_identify_buckets (bucket, last_at) VALUES ($1, 0) "
                    "ON CONFLICT DO NOTHING",
                    bucket,
                )
                now, last = await conn.fetchrow(
                    f"SELECT {NOW}, last_at FROM botkit_identify_buckets WHERE bucket = $1 "
                    "FOR UPDATE",
                    bucket,
                )
                if now - last < self.window:
                    delay = self.window - (now - last)
                    await conn.execute(
                        "INSERT INTO botkit_identify_waits (holder, shard_id, bucket, since, "
                        "until) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (holder, shard_id) DO "
                        "UPDATE SET until = $5",
                        self.holder,
                        shard_id,
                        bucket,
                        now,
                        now + delay + RETRY_SECONDS,
                    )
                    return delay
                await conn.execute(
                    "UPDATE botkit_identify_buckets SET last_at = $2 WHERE bucket = $1", bucket, now
                )
                await conn.execute(
                    "DELETE FROM botkit_identify_waits WHERE holder = $1 AND shard_id = $2",
                    self.holder,
                    shard_id,
                )
                return 0.0

    async def _reset(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.terminate()

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                with suppress(Exception):
                    await conn.close(timeout=1)


class SettingsFollower:
    """Listens for per-server values other processes store and reloads them here.

    ``apply(plugin, guild, key)`` reloads one value; ``reload_all()`` everything (after the
    connection was lost, when notifications may have been missed).
    """

    def __init__(
        self,
        url: str,
        origin: str,
        apply: Callable[[str, str, str], Awaitable[None]],
        reload_all: Callable[[], Awaitable[None]],
    ) -> None:
        self.url = url
        self.origin = origin
        self._apply, self._reload_all = apply, reload_all
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.listening = asyncio.Event()

    async def start(self, within: float = 10.0) -> None:
        """Start listening; return once listening (or after ``within`` seconds, retrying)."""
        self._task = asyncio.create_task(self._run(), name="botkit settings follower")
        with suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.listening.wait()

    async def _run(self) -> None:
        first = True
        while True:
            lost = asyncio.Event()
            try:
                conn = await connect(self.url)
            except _db_errors() as exc:
                log.warning("cannot listen for other processes' changes (%s); retrying", exc)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            try:
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(SETTINGS_CHANNEL, self._notified)
                if not first:
                    await self._reload_all()
                first = False
                self.listening.set()
                await lost.wait()
                self.listening.clear()
                log.warning("lost the database connection for changes; reconnecting")
            finally:
                conn.terminate()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            note = json.loads(payload)
            if note.get("origin") == self.origin:
                return
            args = (str(note["plugin"]), str(note["guild"]), str(note["key"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed settings notification")
            return
        task = asyncio.create_task(self._applied(*args))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _applied(self, plugin: str, guild: str, key: str) -> None:
        try:
            await self._apply(plugin, guild, key)
        except Exception:
            log.exception("reloading %s %s of %s failed", plugin, key, guild)

    async def close(self) -> None:
        for task in [self._task, *self._pending]:
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task


class Leader:
    """One process of the bot at a time runs ``work`` (a PostgreSQL advisory lock on a
    connection of its own). Others wait and take over within ``retry`` seconds when the
    leader stops or loses its connection; the work is cancelled then.

        leader = Leader(url, "trainer-jobs")
        task = asyncio.create_task(leader.run(poll_jobs))
        ...
        await leader.close()
    """

    def __init__(self, url: str, name: str, retry: float = 5.0) -> None:
        self.url = url
        self.name = name
        self.retry = retry
        self.is_leader = False
        self._closed = asyncio.Event()

    @property
    def key(self) -> int:
        """The advisory lock's key: a stable 63-bit number from the name."""
        import hashlib

        digest = hashlib.blake2b(f"botkit-leader:{self.name}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") >> 1

    async def run(self, work: Callable[[], Awaitable[None]]) -> None:
        """Wait to lead, then run ``work`` while leading; until :meth:`close`."""
        while not self._closed.is_set():
            try:
                conn = await connect(self.url)
            except _db_errors() as exc:
                log.warning("leader %s: database not reachable (%s)", self.name, exc)
                await self._pause()
                continue
            try:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                    await self._lead(conn, work)
            except _db_errors():
                pass
            finally:
                self.is_leader = False
                conn.terminate()
            await self._pause()

    async def _lead(self, conn: asyncpg.Connection, work: Callable[[], Awaitable[None]]) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        self.is_leader = True
        log.info("leading %s", self.name)
        job = asyncio.create_task(work(), name=f"leader {self.name}")
        ended = [asyncio.create_task(e.wait()) for e in (lost, self._closed)]
        try:
            await asyncio.wait([job, *ended], return_when=asyncio.FIRST_COMPLETED)
            while not job.done() and not lost.is_set() and not self._closed.is_set():
                await asyncio.wait([job, *ended], timeout=self.retry)
                await conn.fetchval("SELECT 1")  # a dead connection shows here
        finally:
            for task in [job, *ended]:
                task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await job
            log.info("no longer leading %s", self.name)

    async def _pause(self) -> None:
        with suppress(TimeoutError):
            async with asyncio.timeout(self.retry):
                await self._closed.wait()

    async def close(self) -> None:
        self._closed.set()


@attrs.frozen
class ShardStatus:
    """One shard as this process serves it (``/metrics`` and ``/healthz``)."""

    shard_id: int
    latency: float | None  # seconds between a heartbeat and its ack; None before the first
    guilds: int  # servers on this shard
    lease_age: float | None = None  # seconds since the lease was renewed; None: fixed shards
    held_for: float | None = None  # seconds since the lease was claimed; None: fixed shards


@attrs.frozen
class Member:
    """One process of the bot, as ``botkit cluster`` shows it."""

    holder: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    shards: tuple[tuple[int, float], ...]  # (shard id, seconds since claimed)


@attrs.frozen
class IdentifyBucket:
    """One identify bucket, as ``botkit cluster`` shows it."""

    bucket: int
    last_at: float | None  # the last identify (database clock); None: never
    waiting: tuple[int, ...]  # shards waiting for the bucket's slot, longest waiting first


@attrs.frozen
class ClusterStatus:
    now: float
    lease_seconds: float
    shard_count: int
    members: tuple[Member, ...]
    unheld: tuple[int, ...]  # shards nobody holds (or whose lease expired)
    identify: tuple[IdentifyBucket, ...] = ()


async def cluster_status(url: str, lease_seconds: float = 30.0) -> ClusterStatus:
    """The processes, their shards and lease ages, and the shards without a holder."""
    conn = await connect(url)
    try:
        await ensure_tables(conn)
        now = await conn.fetchval(f"SELECT {NOW}")
        members = await conn.fetch("SELECT * FROM botkit_cluster_members ORDER BY started_at")
        leases = await conn.fetch("SELECT * FROM botkit_shard_leases ORDER BY shard_id")
        buckets = await conn.fetch("SELECT * FROM botkit_identify_buckets ORDER BY bucket")
        waits = await conn.fetch(
            f"SELECT bucket, shard_id FROM botkit_identify_waits WHERE until > {NOW} "
            "ORDER BY since, shard_id"
        )
    finally:
        await conn.close(timeout=1)
    count = max((m["shard_count"] for m in members), default=len(leases))
    last = {b["bucket"]: b["last_at"] or None for b in buckets}  # 0: never identified
    live = {r["shard_id"]: r for r in leases if r["holder"] and r["expires_at"] >= now}
    return ClusterStatus(
        now=now,
        lease_seconds=lease_seconds,
        shard_count=count,
        members=tuple(
            Member(
                m["holder"],
                m["host"],
                m["pid"],
                m["started_at"],
                m["heartbeat_at"],
                tuple(
                    (s, now - r["claimed_at"])
                    for s, r in sorted(live.items())
                    if r["holder"] == m["holder"]
                ),
            )
            for m in members
        ),
        unheld=tuple(
            r["shard_id"] for r in leases if r["shard_id"] < count and r["shard_id"] not in live
        ),
        identify=tuple(
            IdentifyBucket(
                bucket,
                last.get(bucket),
                tuple(dict.fromkeys(w["shard_id"] for w in waits if w["bucket"] == bucket)),
            )
            for bucket in sorted({*last, *(w["bucket"] for w in waits)})
        ),
    )


def format_status(status: ClusterStatus) -> str:
    """``botkit cluster``'s text."""
    from datetime import UTC, datetime

    def when(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    lines = [f"{len(status.members)} process(es), {status.shard_count} shard(s)"]
    for m in status.members:
        age = status.now - m.heartbeat_at
        stale = " (silent: presumed dead)" if age > status.lease_seconds else ""
        lines.append(
            f"{m.host} pid {m.pid}: started {when(m.started_at)}, last heartbeat {age:.1f} s "
            f"ago{stale}"
        )
        shards = ", ".join(f"{s} (held {held:.0f} s)" for s, held in m.shards)
        lines.append(f"  shards: {shards or 'none'}")
    unheld = ", ".join(map(str, status.unheld))
    lines.append(f"shards without a holder: {unheld or 'none'}")
    lines.append(f"identify queue:{'' if status.identify else ' no identify yet'}")
    for b in status.identify:
        last = "never" if b.last_at is None else f"{status.now - b.last_at:.1f} s ago"
        waiting = ", ".join(map(str, b.waiting))
        lines.append(
            f"  bucket {b.bucket}: last identify {last}; "
            f"{len(b.waiting)} shard(s) waiting{': ' + waiting if waiting else ''}"
        )
    return "\n".join(lines)


class StateSync:
    """Reloads what another process changed into this bot's in-memory per-server values, and
    keeps the gate's cooldown uses and runs under way in the database every process shares."""

    def __init__(self, bot: Synced) -> None:
        from botkit.limits import PostgresLimits

        self.bot = bot
        self.follower = SettingsFollower(
            bot.config.storage.url, bot.storage.origin, self.apply, self.reload_all
        )
        self.limits = PostgresLimits(bot.config.storage.url)
        self._own_limits = bot.gate.limits

    async def apply(self, plugin: str, guild: str, key: str) -> None:
        from botkit.server_config import KEY as CONFIG_KEY
        from botkit.switches import KEY as DISABLED_KEY
        from botkit.tools import TOOLS_KEY

        bot = self.bot
        if plugin == "botkit" and key == DISABLED_KEY:
            await bot.switches.reload(guild)
        elif plugin == "botkit" and key == TOOLS_KEY:
            await bot.tools.reload(guild)
        elif plugin.startswith(f"{CONFIG_KEY}:") and key == CONFIG_KEY:
            await bot.server_config.reload(plugin.removeprefix(f"{CONFIG_KEY}:"), guild)
        else:  # plugins keep what they want in memory (the permissions plugin: rules)
            await bot.plugins.call_all(STORED, owner=plugin, guild_id=guild, key=key)
            return
        log.debug("reloaded %s %s of %s", plugin, key, guild)

    async def reload_all(self) -> None:
        bot = self.bot
        await bot.switches.load()
        await bot.server_config.load()
        bot.tools.forget()
        await bot.plugins.call_all(STORED, owner="", guild_id=None, key="")

    async def start(self) -> None:
        self.bot.gate.limits = self.limits
        await self.follower.start()

    async def close(self) -> None:
        await self.follower.close()
        self.bot.gate.limits = self._own_limits
        await self.limits.close()


async def follow_settings(bot: Synced) -> StateSync | None:
    """On PostgreSQL, start reloading what other processes change; None on SQLite."""
    if not is_postgres(bot.config.storage.url):
        return None
    sync = StateSync(bot)
    await sync.start()
    return sync


__all__ = [
    "ClusterError",
    "ClusterStatus",
    "IdentifyBucket",
    "IdentifyLimiter",
    "Leader",
    "Member",
    "Presence",
    "SettingsFollower",
    "ShardLeases",
    "ShardStatus",
    "StateSync",
    "cluster_status",
    "follow_settings",
    "format_status",
    "is_postgres",
]
