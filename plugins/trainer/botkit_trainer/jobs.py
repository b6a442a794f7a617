"""Fine-tuning jobs on any provider: following them, cancelling, announcing their outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from botkit import Channel, ChannelKind, Reply
from botkit_trainer import store
from botkit_trainer.leader import Leadership
from botkit_trainer.providers import get as get_spec
from botkit_trainer.providers.base import JobInfo, ProviderError
from botkit_trainer.redact import mask
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.state import NoApiKey, Runtime, Target, UnknownProvider, secrets
from botkit_trainer.store import JobRow

log = logging.getLogger("botkit.plugin.trainer")

EVENTS_SHOWN = 5


def sentence(text: str) -> str:
    """``text`` ending with one full stop (or its own punctuation)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def explain(exc: ProviderError, key_env: str) -> str:
    """The provider's short reason, with what to do about a refused key."""
    text = sentence(str(exc))
    if exc.status in (401, 403):
        text += f" Check the key in {key_env}."
    return text


def target_of(row: JobRow) -> Target:
    return Target(row.provider, row.base_url, row.account_id)


def provider_note(row: JobRow, settings: TrainerSettings) -> str:
    """How a job on another provider (or base URL) than the configured one is named."""
    if row.provider != settings.provider:
        return f"{row.provider} at {row.base_url}"
    if row.base_url != settings.base_url:
        return f"{row.provider} at {row.base_url}, not the configured base URL"
    return ""


async def refresh(runtime: Runtime, storage: Any, settings: TrainerSettings, row: JobRow) -> JobRow:
    """Ask the job's provider for its status and store it; raises NoApiKey, UnknownProvider,
    ProviderError."""
    client = await runtime.client(settings, target_of(row))
    try:
        info = await client.status(row.id, row.method)
    except ProviderError as exc:
        log.warning("status of job %s unavailable: %s", row.id, mask(str(exc), secrets(settings)))
        raise
    values = {"status": info.status, "fine_tuned_model": info.model, "error": info.error}
    if any(getattr(row, key) != value for key, value in values.items()):
        await store.update_job(storage, row.id, **values)
        row = attrs.evolve(row, **values)
    return row


async def latest_events(runtime: Runtime, settings: TrainerSettings, row: JobRow) -> list[str]:
    client = await runtime.client(settings, target_of(row))
    try:
        return await client.events(row.id, row.method, EVENTS_SHOWN)
    except ProviderError as exc:
        log.warning("events of job %s unavailable: %s", row.id, mask(str(exc), secrets(settings)))
        raise


async def cancel(runtime: Runtime, storage: Any, settings: TrainerSettings, row: JobRow) -> JobRow:
    """Cancel the job; its outcome needs no announcement since the canceller is answered."""
    client = await runtime.client(settings, target_of(row))
    try:
        info = await client.cancel(row.id, row.method)
    except ProviderError as exc:
        log.warning("job %s not cancelled: %s", row.id, mask(str(exc), secrets(settings)))
        raise
    await store.update_job(storage, row.id, status=info.status, announced=True)
    return attrs.evolve(row, status=info.status, announced=True)


def outcome(row: JobRow, settings: TrainerSettings, prefix: str, model_command: bool) -> str:
    """What the channel is told when a job finishes."""
    on = f", on {row.provider}" if row.provider != settings.provider else ""
    head = f"Fine-tuning job `{row.id}` (dataset {row.dataset}{on})"
    if row.status == "succeeded":
        text = f"{head} succeeded: model `{row.fine_tuned_model}` is ready."
        spec = get_spec(row.provider)
        if spec is not None and not spec.serves_models:
            text += f" Deploy it on {row.provider} before chatting with it."
        elif model_command:
            text += f" Switch to it with `{prefix}model {row.fine_tuned_model}`."
        return text
    if row.status == "failed":
        return sentence(f"{head} failed: {row.error or 'no reason given'}")
    return f"{head} was cancelled."


@attrs.frozen
class PollerHost:
    """What the poller needs from the running bot."""

    storage: Any
    settings: Callable[[], TrainerSettings]
    send: Callable[[Channel, Reply], Awaitable[Any]]
    prefix: Callable[[], str]
    has_model_command: Callable[[], bool]


class Poller:
    """Follows unfinished jobs of every provider and announces their outcome.

    It polls once at start (resuming jobs stored before a restart), then every
    ``poll_interval`` seconds, or at once when :meth:`poll_now` asks; with PostgreSQL only
    the process holding the poller lock polls.
    """

    def __init__(self, runtime: Runtime, host: PollerHost) -> None:
        self.runtime = runtime
        self.host = host
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
        if not await self.leader.acquire():
            return
        settings = self.host.settings()
        for row in await store.unsettled_jobs(self.host.storage):
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
            if row.finished and not row.announced:
                await self._announce(row, settings)

    async def _announce(self, row: JobRow, settings: TrainerSettings) -> None:
        storage = self.host.storage
        if not await store.claim_announcement(storage, row.id):
            return
        kind = ChannelKind.GUILD_TEXT if row.guild_id else ChannelKind.DM
        channel = Channel(id=row.channel_id, kind=kind, guild_id=row.guild_id or None)
        text = outcome(row, settings, self.host.prefix(), self.host.has_model_command())
        try:
            await self.host.send(channel, Reply(text=text))
        except Exception:
            log.exception("cannot announce job %s in channel %s", row.id, row.channel_id)
            await store.update_job(storage, row.id, announced=False)
            return
        log.info("job %s %s, announced in channel %s", row.id, row.status, row.channel_id)


def new_row(
    info: JobInfo,
    *,
    target: Target,
    guild_id: str,
    dataset: str,
    method: str,
    training_file: str,
    channel_id: str,
) -> JobRow:
    """The row stored for a job just created."""
    now = time.time()
    return JobRow(
        id=info.id,
        guild_id=guild_id,
        dataset=dataset,
        provider=target.provider,
        base_url=target.base_url,
        account_id=target.account_id,
        method=method,
        training_file=training_file,
        status=info.status,
        channel_id=channel_id,
        fine_tuned_model=info.model,
        error=info.error,
        announced=False,
        created_at=now,
        updated_at=now,
    )
