"""The chat plugin's hooks.

This module is what the entry point imports, so it stays light: the SDK, SQLAlchemy and the
rest of the plugin are imported when the bot starts (or ``botkit doctor`` asks), not when
the plugin is merely listed.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from botkit import Command, Context, PluginHandle, Problem, Reply, hookimpl
from botkit.util import remember_secret
from botkit_openai_chat.commands import ChatCommands
from botkit_openai_chat.settings import ChatSettings

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from botkit_openai_chat.state import ChatState

log = logging.getLogger("botkit.openai_chat")

HEALTH_TIMEOUT = 3.0
MIGRATIONS = Path(__file__).parent / "migrations"
ENGINE = ("botkit_openai_chat.state", "botkit_openai_chat.answer", "botkit_openai_chat.errors")


@attrs.define(eq=False)  # a plugin is an identity: pluggy looks it up by comparison
class ChatPlugin:
    """Answers through an OpenAI-compatible chat API; ``now`` is the wall clock for "today"
    and for idle conversations (default: the host's, which tests inject)."""

    now: Callable[[], datetime] | None = None

    @hookimpl
    def botkit_settings(self) -> type:
        return ChatSettings

    @hookimpl
    def botkit_tables(self) -> MetaData:
        from botkit_openai_chat.store import metadata

        return metadata

    @hookimpl
    def botkit_migrations(self) -> Path:
        return MIGRATIONS

    @hookimpl
    def botkit_commands(self) -> list[Command]:
        return ChatCommands().all()

    @hookimpl
    async def botkit_startup(self, plugin: PluginHandle) -> None:
        """Create the bot's one API client (no client, and one warning saying how to add a
        key, without one)."""
        await asyncio.to_thread(importlib.import_module, "botkit_openai_chat.state")
        from botkit_openai_chat.limits import RateLimiter
        from botkit_openai_chat.state import ChatState

        settings = plugin.settings or ChatSettings()
        key = os.environ.get(settings.api_key_env) or None
        if key:
            remember_secret(key)  # masked in every log line and redacted error text
        plugin.state = state = ChatState(
            name=plugin.name,
            settings=settings,
            storage=plugin.storage,
            rate=RateLimiter(plugin.clock),
            slots=asyncio.Semaphore(settings.max_concurrent_requests),
            now=self.now or (lambda: datetime.fromtimestamp(plugin.now(), UTC)),
            hook_timeout=plugin.hook_timeout,
            api_key=key,
        )
        state.start_sweeping()
        # the SDK takes about half a second to import: in a worker thread, while the bot
        # already serves commands; the first answer waits for it (state.ready)
        state.engine = asyncio.create_task(load_engine(state))
        if key is None:  # a normal first run, not a failure: one line saying what to do
            log.warning(
                "%s: no API key, so the bot cannot chat yet; add one with `export %s=...` "
                "(any value for a local server) or write a botkit.toml with `botkit init`, "
                "then restart",
                plugin.name,
                settings.api_key_env,
            )
        else:
            from botkit_openai_chat.settings import host_of

            log.info(
                "%s: model %s at %s, up to %d requests at once",
                plugin.name,
                settings.model,
                host_of(settings.base_url),
                settings.max_concurrent_requests,
            )

    @hookimpl
    async def botkit_shutdown(self, plugin: PluginHandle) -> None:
        state, plugin.state = plugin.state, None
        if state is not None:
            await state.close()

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply:
        """The answer; CommandError (its text the reply) when there is none to give."""
        await ctx.plugin.state.ready()
        from botkit_openai_chat.answer import respond

        return await respond(ctx.plugin.state, ctx, text, snippets)

    @hookimpl
    async def botkit_user_data(self, plugin: PluginHandle, user_id: str) -> dict[str, int]:
        from botkit_openai_chat.store import count_user

        return await count_user(plugin.storage, user_id)

    @hookimpl
    async def botkit_delete_user_data(self, plugin: PluginHandle, user_id: str) -> int:
        from botkit_openai_chat.store import delete_user

        if plugin.state is not None:
            plugin.state.rate.forget(user_id)
        return await delete_user(plugin.storage, user_id)

    @hookimpl
    async def botkit_health(self, plugin: PluginHandle) -> list[Problem]:
        """A missing key, or (checked in a few seconds) a key or server that does not work."""
        settings = plugin.settings or ChatSettings()
        env = settings.api_key_env
        key = os.environ.get(env)
        if not key:
            return [
                Problem(
                    f"the environment variable {env} is not set, so the bot cannot chat",
                    f"export {env}=<your API key> (a local server without keys takes any value)",
                )
            ]
        return await probe(settings, key)


async def load_engine(state: ChatState) -> None:
    """Import the modules that answer (the SDK and what uses it) in a worker thread, then
    make the bot's client (none without a key) here, on the loop, where every other use of
    the clients is: made in the thread, a message asking for the client meanwhile made a
    second one."""
    await asyncio.to_thread(_import_engine)
    state.client_for(state.settings)


def _import_engine() -> None:
    for module in ENGINE:
        importlib.import_module(module)


async def probe(settings: ChatSettings, key: str) -> list[Problem]:
    """List the server's models once, with a short time-out and no retries."""
    import openai

    from botkit_openai_chat.settings import host_of

    client = openai.AsyncOpenAI(
        api_key=key,
        base_url=settings.base_url or None,
        timeout=HEALTH_TIMEOUT,
        max_retries=0,
    )
    where = host_of(settings.base_url)
    try:
        await client.models.list()
    except openai.AuthenticationError:
        return [
            Problem(
                f"{where} rejected the key in {settings.api_key_env}",
                f"put a valid key in {settings.api_key_env}",
            )
        ]
    except (openai.APIConnectionError, openai.APITimeoutError):
        return [
            Problem(
                f"cannot reach {where}",
                "check base_url and the network",
                severity="warning",
            )
        ]
    except openai.APIError as exc:  # e.g. a server without /models: chat may still work
        log.info("health check of %s: %s", where, type(exc).__name__)
    finally:
        await client.close()
    return []
