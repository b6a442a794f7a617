"""A sharded discord.py client whose shards come and go (leases) and whose identifies wait
for a slot shared by every process of the bot (``botkit.adapter.IdentifyLimiter``).

discord.py's ``AutoShardedClient`` launches a fixed list of shards once. With leased shards
(``[discord] shard_ids = "leased"``) the list starts empty; :meth:`ShardedClient.start_shard`
connects one more and :meth:`ShardedClient.stop_shard` closes one and forgets its servers.
A shard stopped while it was still connecting leaves no socket behind: every websocket opened
while launching is remembered until the launch ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
from contextlib import suppress
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.shard import Shard

from botkit.adapter import IdentifyLimiter, ShardLeases, ShardStatus

log = logging.getLogger("botkit.discord")

RETRY_SECONDS = 5.0
_launching: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "botkit_launching_shard", default=None
)


def use_gateway(url: str) -> None:
    """Connect shards to the gateway ``GET /gateway/bot`` named (through a proxy or a test
    double, not necessarily Discord's usual host)."""
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


class LeasedShard(Shard):
    """A shard that stays closed once dropped (discord.py may be reconnecting it meanwhile)."""

    dropped = False

    def launch(self) -> None:
        if self.dropped:
            self._client.loop.create_task(self.ws.close(code=1000))
            return
        super().launch()

    async def reidentify(self, exc: Any) -> None:
        if not self.dropped:
            await super().reidentify(exc)

    async def reconnect(self) -> None:
        if not self.dropped:
            await super().reconnect()


class ShardedClient(discord.AutoShardedClient):
    """``AutoShardedClient`` with leased shards and a shared identify limiter."""

    def __init__(self, *, leased: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.leased = leased
        self.identify_limiter: IdentifyLimiter | None = None
        self._launches: dict[int, asyncio.Task[None]] = {}
        self._opening: dict[int, list[Any]] = {}  # shard id -> websockets opened while launching
        self._launched = asyncio.Event()

    @property
    def _shard_table(self) -> dict[int, Shard]:
        return self._AutoShardedClient__shards  # type: ignore[attr-defined,no-any-return]

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if self.identify_limiter is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        await self.identify_limiter.wait(shard_id or 0)

    async def launch_shards(self) -> None:
        if not self.leased:
            await super().launch_shards()
            return
        self._connection.shard_count = self.shard_count
        self._connection.shard_ids = []  # grows and shrinks with the leases
        original = self.http.ws_connect

        async def ws_connect(url: str, *, compress: int = 0) -> Any:
            socket = await original(url, compress=compress)
            shard_id = _launching.get()
            if shard_id is not None:
                self._opening.setdefault(shard_id, []).append(socket)
            return socket

        self.http.ws_connect = ws_connect  # type: ignore[method-assign]
        self._launched.set()

    def start_shard(self, shard_id: int) -> None:
        """Connect shard ``shard_id`` in the background (identifying when its slot comes)."""
        ids = self._connection.shard_ids
        assert isinstance(ids, list)
        if shard_id not in ids:
            ids.append(shard_id)
        task = asyncio.create_task(self._launch(shard_id), name=f"botkit shard {shard_id}")
        self._launches[shard_id] = task

    async def _launch(self, shard_id: int) -> None:
        await self._launched.wait()
        _launching.set(shard_id)
        gateway = DiscordWebSocket.DEFAULT_GATEWAY
        while True:
            try:
                coro = DiscordWebSocket.from_client(self, gateway=gateway, shard_id=shard_id)
                ws = await asyncio.wait_for(coro, timeout=self.shard_connect_timeout)
                break
            except Exception as exc:
                log.warning("shard %d could not connect (%s); retrying", shard_id, exc)
                await self._close_opening(shard_id)
                await asyncio.sleep(RETRY_SECONDS)
        self._opening.pop(shard_id, None)
        queue = self._AutoShardedClient__queue  # type: ignore[attr-defined]
        shard = LeasedShard(ws, self, queue.put_nowait)
        self._shard_table[shard_id] = shard
        shard.launch()
        self._launches.pop(shard_id, None)

    async def _close_opening(self, shard_id: int) -> None:
        for socket in self._opening.pop(shard_id, []):
            with suppress(Exception):
                await socket.close(code=1000)

    async def stop_shard(self, shard_id: int) -> None:
        """Close shard ``shard_id`` (or stop it connecting) and forget its servers."""
        launch = self._launches.pop(shard_id, None)
        if launch is not None:
            launch.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await launch
        await self._close_opening(shard_id)
        shard = self._shard_table.pop(shard_id, None)
        if isinstance(shard, LeasedShard):
            shard.dropped = True
        if shard is not None:
            with suppress(Exception):
                await shard.close()
        ids = self._connection.shard_ids
        if isinstance(ids, list) and shard_id in ids:
            ids.remove(shard_id)
        state = self._connection
        for guild in [g for g in state._guilds.values() if g.shard_id == shard_id]:
            state._remove_guild(guild)
        log.info("shard %d closed", shard_id)

    def serving(self) -> list[int]:
        """The shards connected now."""
        return sorted(s for s, shard in self._shard_table.items() if not shard.ws.socket.closed)


def shard_status(
    client: discord.AutoShardedClient, leases: ShardLeases | None
) -> list[ShardStatus]:
    """Each shard this process serves: heartbeat latency, servers, and with leases their age."""
    guilds: dict[int, int] = {}
    for guild in client.guilds:
        guilds[guild.shard_id] = guilds.get(guild.shard_id, 0) + 1
    status = []
    for shard_id, shard in sorted(client.shards.items()):
        if shard.is_closed():
            continue
        latency = shard.latency
        status.append(
            ShardStatus(
                shard_id,
                None if math.isnan(latency) or math.isinf(latency) else latency,
                guilds.get(shard_id, 0),
                leases.lease_age() if leases is not None else None,
                leases.held_for(shard_id) if leases is not None else None,
            )
        )
    return status
