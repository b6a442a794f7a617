"""Discord's global REST limit (50 requests a second per bot token) shared by the processes of
one bot when no REST proxy keeps it for them.

Without ``[discord] api_base``, several processes (leased shards, or fixed ``shard_ids`` that
are not all of ``shard_count``) each send REST calls with the same token. Each then keeps to its
share: ``GLOBAL_PER_SECOND`` divided by the processes alive in ``botkit_cluster_members``,
re-read with every lease heartbeat. The limit sits in an aiohttp trace (discord.py's
``http_trace``), so every request discord.py sends, retries included, takes a token; the
gateway's websocket is not a REST call and is not limited. A proxy is still the better way:
it spends the whole limit, not a fixed share of it, and keeps the per-route buckets as well.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
from discord.http import Route

log = logging.getLogger("botkit.discord")

GLOBAL_PER_SECOND = 50  # Discord's global REST limit per bot token
WINDOW = 1.0  # seconds
MIN_SLEEP = 0.001  # seconds: a wait never shorter, so a clock's rounding cannot spin


class RestBucket:
    """At most ``per_second`` grants in any window of one second: a bucket of that many
    tokens, each spent token coming back one second after it was spent. Waiters are served
    in order; they sleep (never block the loop)."""

    def __init__(
        self,
        per_second: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second
        self.clock, self.sleep = clock, sleep
        self._spent: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        while self._spent and self._spent[0] <= now - WINDOW:
            self._spent.popleft()

    async def take(self) -> None:
        """Return once a token is spent for one request."""
        async with self._lock:
            while True:
                now = self.clock()
                self._refill(now)
                if len(self._spent) < max(1, self.per_second):
                    self._spent.append(now)
                    return
                await self.sleep(max(MIN_SLEEP, self._spent[0] + WINDOW - now))


class RestShare:
    """This process's share of the global REST limit, applied to discord.py's requests.

    Inert until :meth:`share_among` is first called (with a proxy, or a single process, it
    never is). :meth:`trace` is given to the discord.py client (``http_trace``).
    """

    def __init__(self, total: int = GLOBAL_PER_SECOND) -> None:
        self.total = total
        self.bucket: RestBucket | None = None
        self.processes = 0

    @property
    def per_second(self) -> int | None:
        """Requests a second this process may send; None when not limited."""
        return None if self.bucket is None else self.bucket.per_second

    def share_among(self, processes: int) -> None:
        """Keep to ``total / processes`` requests a second (the processes alive now)."""
        processes = max(1, processes)
        share = max(1, self.total // processes)
        if self.bucket is None:
            self.bucket = RestBucket(share)
        elif processes == self.processes:
            return
        self.bucket.per_second = share
        self.processes = processes
        log.info(
            "REST: %d request(s) a second, a share of %d for %d process(es) (a REST proxy, "
            "[discord] api_base, would share the whole limit)",
            share,
            self.total,
            processes,
        )

    def trace(self) -> aiohttp.TraceConfig:
        """An aiohttp trace that waits for a token before each REST request."""
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._on_request_start)
        return config

    async def _on_request_start(
        self,
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        if self.bucket is not None and str(params.url).startswith(Route.BASE):
            await self.bucket.take()
