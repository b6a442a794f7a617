"""Fine-tuning jobs on any provider: following them, cancelling, announcing their outcome."""

from __future__ import annotations

import logging
import time
from typing import Any

import attrs

from botkit_trainer.providers import get as get_spec
from botkit_trainer.providers.base import JobInfo, ProviderError
from botkit_trainer.redact import mask
from botkit_trainer.rows import JobRow
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.state import Runtime, Target, secrets

log = logging.getLogger("botkit.plugin.trainer")

EVENTS_SHOWN = 5


LOSS_EVENTS = 100  # the latest events read for the loss chart (one page of the API)


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
    from botkit_trainer import store

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


async def training_loss(
    runtime: Runtime, settings: TrainerSettings, row: JobRow
) -> list[tuple[int, float]]:
    """(step, training loss) as the service reports it; empty when it reports none (only the
    OpenAI provider reads loss from the job's metrics events)."""
    client = await runtime.client(settings, target_of(row))
    losses = getattr(client, "losses", None)
    if losses is None:
        return []
    try:
        return await losses(row.id, row.method, LOSS_EVENTS)
    except ProviderError as exc:
        log.warning("loss of job %s unavailable: %s", row.id, mask(str(exc), secrets(settings)))
        raise


async def cancel(runtime: Runtime, storage: Any, settings: TrainerSettings, row: JobRow) -> JobRow:
    """Cancel the job; its outcome needs no announcement since the canceller is answered."""
    from botkit_trainer import store

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
