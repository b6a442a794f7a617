"""Fine-tuning jobs through the OpenAI-compatible API, and the poller that follows them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import attrs
import openai

from botkit import Channel, ChannelKind, Reply
from botkit_trainer import store
from botkit_trainer.dataset import DPO
from botkit_trainer.state import NoApiKey, client_of, settings_of
from botkit_trainer.store import JobRow

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.trainer")

EVENTS_SHOWN = 5


class ApiFailure(Exception):
    """The fine-tuning API refused or could not be reached; the message is for the user."""


def sentence(text: str) -> str:
    """``text`` ending with one full stop (or its own punctuation)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def explain(exc: openai.OpenAIError) -> str:
    """A short user-facing reason (never the key)."""
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        message = body.get("message") or exc.message
        return f"the fine-tuning API answered {exc.status_code}: {message}"
    if isinstance(exc, openai.APITimeoutError):
        return "the fine-tuning API did not answer in time"
    if isinstance(exc, openai.APIConnectionError):
        return "the fine-tuning API cannot be reached"
    return f"the fine-tuning API failed ({type(exc).__name__})"


async def create_job(
    client: openai.AsyncOpenAI,
    *,
    data: bytes,
    filename: str,
    method: str,
    model: str,
    suffix: str,
) -> Any:
    """Upload the JSONL file and start a job on it; return the job object."""
    try:
        uploaded = await client.files.create(file=(filename, data), purpose="fine-tune")
        return await client.fine_tuning.jobs.create(
            model=model,
            training_file=uploaded.id,
            suffix=suffix or None,
            method={"type": DPO} if method == DPO else {"type": "supervised"},
        )
    except openai.OpenAIError as exc:
        log.warning("fine-tuning job not created: %s", exc)
        raise ApiFailure(explain(exc)) from None


async def latest_events(client: openai.AsyncOpenAI, job_id: str) -> list[str]:
    """The job's latest event messages, newest first."""
    try:
        page = await client.fine_tuning.jobs.list_events(job_id, limit=EVENTS_SHOWN)
    except openai.OpenAIError as exc:
        log.warning("events of job %s unavailable: %s", job_id, exc)
        raise ApiFailure(explain(exc)) from None
    return [f"[{event.level}] {event.message}" for event in page.data]


async def refresh(bot: Bot, row: JobRow) -> JobRow:
    """Fetch the job's status from the API and store it."""
    client = client_of(bot)
    try:
        job = await client.fine_tuning.jobs.retrieve(row.id)
    except openai.NotFoundError:
        values = {"status": "failed", "error": "the fine-tuning API no longer knows this job"}
    except openai.OpenAIError as exc:
        log.warning("status of job %s unavailable: %s", row.id, exc)
        raise ApiFailure(explain(exc)) from None
    else:
        values = {
            "status": job.status,
            "fine_tuned_model": job.fine_tuned_model,
            "error": job.error.message if job.error and job.error.message else None,
        }
    if any(getattr(row, key) != value for key, value in values.items()):
        await store.update_job(bot.storage, row.id, **values)
        row = attrs.evolve(row, **values)
    return row


async def cancel(bot: Bot, row: JobRow) -> JobRow:
    """Cancel the job; its outcome needs no announcement since the canceller is answered."""
    try:
        job = await client_of(bot).fine_tuning.jobs.cancel(row.id)
    except openai.OpenAIError as exc:
        log.warning("job %s not cancelled: %s", row.id, exc)
        raise ApiFailure(explain(exc)) from None
    await store.update_job(bot.storage, row.id, status=job.status, announced=True)
    return attrs.evolve(row, status=job.status, announced=True)


def outcome(row: JobRow, prefix: str, model_command: bool) -> str:
    """What the channel is told when a job finishes."""
    head = f"Fine-tuning job `{row.id}` (dataset {row.dataset})"
    if row.status == "succeeded":
        text = f"{head} succeeded: model `{row.fine_tuned_model}` is ready."
        if model_command:
            text += f" Switch to it with `{prefix}model {row.fine_tuned_model}`."
        return text
    if row.status == "failed":
        return sentence(f"{head} failed: {row.error or 'no reason given'}")
    return f"{head} was cancelled."


class Poller:
    """Follows unfinished jobs of the configured provider and announces their outcome.

    It polls once at start (resuming jobs stored before a restart), then every
    ``poll_interval`` seconds, or at once when :meth:`poll_now` asks.
    """

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._wake = asyncio.Event()
        self._waiters: list[asyncio.Future[None]] = []
        self._task: asyncio.Task[None] | None = None
        self._warned_no_key = False

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
            interval = settings_of(self.bot).poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()

    async def poll_once(self) -> None:
        """Refresh every unsettled job, announcing each that has finished."""
        settings = settings_of(self.bot)
        rows = await store.unsettled_jobs(self.bot.storage, settings.base_url)
        for row in rows:
            try:
                if not row.finished:
                    row = await refresh(self.bot, row)
            except NoApiKey:
                if not self._warned_no_key:
                    log.warning(
                        "cannot follow fine-tuning jobs: %s is not set", settings.api_key_env
                    )
                    self._warned_no_key = True
                return
            except ApiFailure:
                continue
            if row.finished and not row.announced:
                await self._announce(row)

    async def _announce(self, row: JobRow) -> None:
        if not await store.claim_announcement(self.bot.storage, row.id):
            return
        kind = ChannelKind.GUILD_TEXT if row.guild_id else ChannelKind.DM
        channel = Channel(id=row.channel_id, kind=kind, guild_id=row.guild_id or None)
        prefix = self.bot.config.bot.prefix
        text = outcome(row, prefix, "model" in self.bot.commands.by_name)
        try:
            await self.bot.send(channel, Reply(text=text))
        except Exception:
            log.exception("cannot announce job %s in channel %s", row.id, row.channel_id)
            await store.update_job(self.bot.storage, row.id, announced=False)
            return
        log.info("job %s %s, announced in channel %s", row.id, row.status, row.channel_id)


def new_row(job: Any, *, guild_id: str, dataset: str, base_url: str, channel_id: str) -> JobRow:
    """The row stored for a job just created."""
    now = time.time()
    return JobRow(
        id=job.id,
        guild_id=guild_id,
        dataset=dataset,
        base_url=base_url,
        method=(job.method.type if job.method else "supervised"),
        status=job.status,
        channel_id=channel_id,
        fine_tuned_model=job.fine_tuned_model,
        error=None,
        announced=False,
        created_at=now,
        updated_at=now,
    )
