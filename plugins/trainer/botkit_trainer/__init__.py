"""botkit-trainer: datasets, fine-tuning jobs, scored tests and a local document store.

The entry point stays light: the services' SDKs are imported when a client is first made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botkit import Command, Context, PluginHandle, Problem, hookimpl
from botkit.util import remember_secret
from botkit_trainer.commands import all_commands
from botkit_trainer.forget import forget_user, user_counts
from botkit_trainer.health import problems
from botkit_trainer.poller import Poller, PollerHost
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.state import runtime_of, secrets

MIGRATIONS = Path(__file__).parent / "migrations"


@hookimpl
def botkit_commands() -> list[Command]:
    return all_commands()


@hookimpl
def botkit_settings() -> type:
    return TrainerSettings


@hookimpl
def botkit_tables() -> Any:
    from botkit_trainer.tables import metadata

    return metadata


@hookimpl
def botkit_migrations() -> Path:
    return MIGRATIONS


@hookimpl
def botkit_web_pages() -> list[Any]:
    """Datasets and fine-tuning jobs (status, events, training loss) on the web console."""
    from botkit_trainer.web import pages

    return pages()


def settings_of(plugin: PluginHandle) -> TrainerSettings:
    return plugin.settings or TrainerSettings()


@hookimpl
async def botkit_startup(plugin: PluginHandle) -> None:
    """Create the search index, then follow unfinished jobs (also those from before a restart)."""
    from botkit_trainer import search

    await search.ensure_index(plugin.storage)
    for secret in secrets(settings_of(plugin)):
        remember_secret(secret)
    runtime = runtime_of(plugin)
    host = PollerHost(
        storage=plugin.storage,
        settings=lambda: settings_of(plugin),
        send=plugin.send,
        prefix=lambda: plugin.prefix,
        has_model_command=lambda: plugin.has_command("model"),
        report=lambda counts: plugin.set_job_counts(counts),
    )
    runtime.poller = Poller(runtime, host)
    runtime.poller.start()


@hookimpl
async def botkit_shutdown(plugin: PluginHandle) -> None:
    await runtime_of(plugin).close()


@hookimpl
async def botkit_knowledge(ctx: Context, text: str) -> list[str]:
    """The document passages most relevant to the message."""
    from botkit_trainer import search

    limit = ctx.settings.context_passages
    found = await search.search(ctx.plugin.storage, ctx.space, text, limit)
    return [passage.snippet() for passage in found]


@hookimpl
async def botkit_models(plugin: PluginHandle, guild_id: str | None) -> list[str]:
    """Models fine-tuned for this space (a server, or one person's DMs), for !model."""
    from botkit_trainer import store

    return await store.fine_tuned_models(plugin.storage, guild_id or "")


@hookimpl
async def botkit_user_data(plugin: PluginHandle, user_id: str) -> dict[str, int]:
    """What is stored about the user, for !mydata."""
    return await user_counts(plugin, settings_of(plugin), user_id)


@hookimpl
async def botkit_delete_user_data(plugin: PluginHandle, user_id: str) -> list[str]:
    """Forget the user's examples, uploads and everything built from them."""
    return await forget_user(plugin, settings_of(plugin), user_id)


@hookimpl
async def botkit_health(plugin: PluginHandle) -> list[Problem]:
    return await problems(settings_of(plugin), plugin.now())
