"""The commands about fine-tuning jobs: !jobs, !job <id>, !job cancel <id>."""

from __future__ import annotations

import asyncio
import logging

from botkit import CommandError, Context, File, Reply
from botkit.web import line_png
from botkit_trainer import jobs
from botkit_trainer.providers.base import ProviderError
from botkit_trainer.rows import JobRow
from botkit_trainer.state import NoApiKey, UnknownProvider, key_env, runtime_of

log = logging.getLogger("botkit.plugin.trainer")

JOBS_SHOWN = 10


async def jobs_list(ctx: Context) -> str:
    """List this server's (or your DMs') fine-tuning jobs."""
    from botkit_trainer import store

    rows = await store.space_jobs(ctx.plugin.storage, ctx.space, JOBS_SHOWN)
    if not rows:
        return f"No fine-tuning jobs yet. Start one with `{ctx.plugin.prefix}train start`."
    return "\n".join(
        f"`{r.id}` dataset {r.dataset}, {r.method}: {r.status}"
        + (f" → `{r.fine_tuned_model}`" if r.fine_tuned_model else "")
        + (f" (on {r.provider})" if r.provider != ctx.settings.provider else "")
        for r in rows
    )


async def job(ctx: Context, job_id: str) -> str | Reply:
    """Show a fine-tuning job's status and latest events (and its training loss as a chart,
    when the service reports it)."""
    from botkit_trainer.web import loss_series

    settings = ctx.settings
    row = await known_job(ctx, job_id)
    note = jobs.provider_note(row, settings)
    lines = [f"(on {note})"] if note else []
    runtime = runtime_of(ctx.plugin)
    points: list[tuple[int, float]] = []
    try:
        row = await jobs.refresh(runtime, ctx.plugin.storage, settings, row)
        lines += await jobs.latest_events(runtime, settings, row)
        points = await jobs.training_loss(runtime, settings, row)
    except NoApiKey as exc:
        lines.append(f"(live status needs {exc}; showing the stored one)")
    except UnknownProvider:
        lines.append(f"(provider {row.provider} is not installed; showing the stored status)")
    except ProviderError as exc:
        lines.append(f"(live status unavailable: {exc}; showing the stored one)")
    head = f"Job `{row.id}` (dataset {row.dataset}, {row.method}): **{row.status}**"
    if row.fine_tuned_model:
        head += f", model `{row.fine_tuned_model}`"
    if row.error:
        head += f", error: {row.error}"
    text = "\n".join([head, *lines])
    if not points:
        return text
    chart = await asyncio.to_thread(line_png, loss_series(row.id, points))
    return Reply(text=text, files=(File(f"loss-{row.id}.png", data=chart),))


async def job_cancel(ctx: Context, job_id: str) -> str:
    """Cancel a fine-tuning job."""
    settings = ctx.settings
    row = await known_job(ctx, job_id)
    if row.finished:
        raise CommandError(f"Job {row.id} has already {row.status}; nothing to cancel.")
    try:
        row = await jobs.cancel(runtime_of(ctx.plugin), ctx.plugin.storage, settings, row)
    except NoApiKey as exc:
        raise CommandError(
            f"Cancelling needs an API key: the bot's owner must set the environment variable {exc}."
        ) from None
    except UnknownProvider:
        raise CommandError(f"Job {row.id} is on {row.provider}, which is not installed.") from None
    except ProviderError as exc:
        reason = jobs.explain(exc, key_env(settings, row.provider))
        raise CommandError(jobs.sentence(f"Job {row.id} was not cancelled: {reason}")) from None
    log.info("job %s cancelled by user %s", row.id, ctx.message.author.id)
    return f"Job `{row.id}` is {row.status}."


async def known_job(ctx: Context, job_id: str) -> JobRow:
    from botkit_trainer import store

    row = await store.get_job(ctx.plugin.storage, ctx.space, job_id)
    if row is None:
        raise CommandError(f"No job {job_id!r} in this server. See {ctx.plugin.prefix}jobs.")
    return row
