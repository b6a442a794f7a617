"""botkit-trainer: datasets, fine-tuning jobs, scored tests and a local document store."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import MetaData

from botkit import Command, Context, Problem, hookimpl
from botkit_trainer import search, store
from botkit_trainer.commands import all_commands
from botkit_trainer.health import problems
from botkit_trainer.host import forget, runtime_for, settings_of
from botkit_trainer.jobs import Poller, PollerHost
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.tables import metadata

log = logging.getLogger("botkit.plugin.trainer")


@hookimpl
def botkit_commands() -> list[Command]:
    return all_commands()


@hookimpl
def botkit_settings() -> type:
    return TrainerSettings


@hookimpl
def botkit_tables() -> MetaData:
    return metadata


@hookimpl
async def botkit_startup(bot: Any) -> None:
    """Create the search index, then follow unfinished jobs (also those from before a restart)."""
    await search.ensure_index(bot.storage)
    runtime = runtime_for(bot)
    host = PollerHost(
        storage=bot.storage,
        settings=lambda: settings_of(bot),
        send=bot.send,
        prefix=lambda: bot.config.bot.prefix,
        has_model_command=lambda: "model" in bot.commands.by_name,
    )
    runtime.poller = Poller(runtime, host)
    runtime.poller.start()


@hookimpl
async def botkit_shutdown(bot: Any) -> None:
    await forget(bot)


@hookimpl
async def botkit_context(ctx: Context, text: str) -> list[str]:
    """The document passages most relevant to the message."""
    limit = ctx.settings.context_passages
    found = await search.search(ctx.storage, ctx.guild_id, text, limit)
    return [passage.snippet() for passage in found]


@hookimpl
async def botkit_models(bot: Any, guild_id: str | None) -> list[str]:
    """Models fine-tuned for this guild, for the chat plugin's !model."""
    return await store.fine_tuned_models(bot.storage, guild_id)


@hookimpl
async def botkit_delete_user_data(bot: Any, user_id: str) -> int:
    """Forget the user's examples and the files they uploaded."""
    count, names = await store.delete_user_examples(bot.storage, user_id)
    root = bot.config.data_dir.resolve()

    def remove() -> None:
        for name in names:
            path = (root / name).resolve()
            if path.is_relative_to(root):
                path.unlink(missing_ok=True)

    await asyncio.wait_for(asyncio.to_thread(remove), settings_of(bot).work_timeout)
    log.info("deleted %d examples and %d files of user %s", count, len(names), user_id)
    return count


@hookimpl
async def botkit_health(bot: Any) -> list[Problem]:
    return await problems(settings_of(bot))
