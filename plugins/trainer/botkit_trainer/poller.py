"""The job poller: follows unfinished jobs of every provider and announces their outcome."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from botkit import Channel, ChannelKind, Reply
from botkit_trainer.jobs import outcome, refresh
from botkit_trainer.providers.base import ProviderError
from botkit_trainer.rows import JobRow
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.state import NoApiKey, Runtime, UnknownProvider

log = logging.getLogger("botkit.plugin.trainer")


@attrs.frozen
class PollerHost:
    """What the poller needs from the running bot."""

    storage: Any
    settings: Callable[[], TrainerSettings]
    send: Callable[[Channel, Reply], Awaitable[Any]]
    prefix: Callable[[], str]
    has_model_command: Callable[[], bool]
    report: Callable[[dict[str, int]], None] = lambda counts: None  # jobs followed, by status


class Poller:
    """Follows unfinished jobs of every provider and announces their outcome.

    It polls once at start (resuming jobs stored before a restart), then every
    ``poll_interval`` seconds, or at once when :meth:`poll_now` asks; with PostgreSQL only
    the process holding the poller lock polls.
    """

    def __init__(self, runtime: Runtime, host: PollerHost) -> None:
        self.runtime = runtime
        self.host = host
        from botkit_trainer.leader import Leadership

        self.leader = Leadership(host.storage.engine, host.storage.dialect)
        self._wake = asyncio.Event()
        self._waiters: list[asyncio.Future[None]] = []
        self._task: asyncio.Task[None] | None = None
        self._warned: set[str] = set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="botkit-trainer-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for waiter in self._waiters:
            waiter.cancel()
        await self.leader.release()

    async def poll_now(self) -> None:
        """Run a poll round now and return when it is done."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wake.set()
        await waiter

    async def _run(self) -> None:
        while True:
            waiters, self._waiters = self._waiters, []
            try:
                await self.poll_once()
            except Exception:
                log.exception("polling fine-tuning jobs failed")
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            with contextlib.suppress(TimeoutError):  # asyncio.timeout never loses a cancel
                async with asyncio.timeout(self.host.settings().poll_interval):
                    await self._wake.wait()
            self._wake.clear()

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)

    async def poll_once(self) -> None:
        """Refresh every unsettled job, announcing each that has finished."""
        from botkit_trainer import store

        if not await self.leader.acquire():
            return
        settings = self.host.settings()
        followed: dict[str, str] = {}  # job id -> status, as last known
        for row in await store.unsettled_jobs(self.host.storage):
            followed[row.id] = row.status
            try:
                if not row.finished:
                    row = await refresh(self.runtime, self.host.storage, settings, row)
            except NoApiKey as exc:
                self._warn_once(
                    f"key:{exc}", "cannot follow %s jobs: %s is not set", row.provider, exc
                )
                continue
            except UnknownProvider:
                self._warn_once(
                    f"provider:{row.provider}",
                    "cannot follow job %s: provider %s is not installed",
                    row.id,
                    row.provider,
                )
                continue
            except ProviderError:
                continue
            followed[row.id] = row.status
            if row.finished and not row.announced:
                await self._announce(row, settings)
        self.host.report(dict(collections.Counter(followed.values())))

    async def _announce(self, row: JobRow, settings: TrainerSettings) -> None:
        from botkit_trainer import store

        storage = self.host.storage
        if not await store.claim_announcement(storage, row.id):
            return
        if store.is_dm(row.guild_id):
            channel = Channel(id=row.channel_id, kind=ChannelKind.DM)
        else:
            channel = Channel(id=row.channel_id, kind=ChannelKind.GUILD_TEXT, guild_id=row.guild_id)
        text = outcome(row, settings, self.host.prefix(), self.host.has_model_command())
        try:
            await self.host.send(channel, Reply(text=text))
        except Exception:
            log.exception("cannot announce job %s in channel %s", row.id, row.channel_id)
            await store.update_job(storage, row.id, announced=False)
            return
        log.info("job %s %s, announced in channel %s", row.id, row.status, row.channel_id)
