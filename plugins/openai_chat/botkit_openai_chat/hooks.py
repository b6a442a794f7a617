"""The chat plugin's hooks.

This module is what the entry point imports, so it stays light: the SDK, SQLAlchemy and the
rest of the plugin are imported when the bot starts (or ``botkit doctor`` asks), not when
the plugin is merely listed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from botkit import Command, Context, Problem, Reply, hookimpl
from botkit_openai_chat.commands import ChatCommands
from botkit_openai_chat.settings import ChatSettings

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from botkit.bot import Bot
    from botkit_openai_chat.state import ChatState

log = logging.getLogger("botkit.openai_chat")

NAME = "openai_chat"  # the entry-point name: the [openai_chat] section of botkit.toml
HEALTH_TIMEOUT = 3.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@attrs.define(eq=False)  # a plugin is an identity: pluggy looks it up by comparison
class ChatPlugin:
    """Answers through an OpenAI-compatible chat API; ``now`` is the wall clock for "today"."""

    now: Callable[[], datetime] = utc_now
    _states: weakref.WeakKeyDictionary[Bot, ChatState] = attrs.field(
        factory=weakref.WeakKeyDictionary, init=False
    )

    def state(self, bot: Bot) -> ChatState:
        """The running bot's state (made at start-up)."""
        return self._states[bot]

    def settings_of(self, bot: Bot) -> tuple[str, ChatSettings]:
        name = bot.plugins.pm.get_name(self) or NAME
        return name, bot.settings.get(name) or ChatSettings()

    @hookimpl
    def botkit_settings(self) -> type:
        return ChatSettings

    @hookimpl
    def botkit_tables(self) -> MetaData:
        from botkit_openai_chat.store import metadata

        return metadata

    @hookimpl
    def botkit_commands(self) -> list[Command]:
        return ChatCommands(self.state, self.now).all()

    @hookimpl
    def botkit_startup(self, bot: Bot) -> None:
        """Create the bot's one API client (no client, and one clear log line, without a key)."""
        from botkit_openai_chat.client import make_client
        from botkit_openai_chat.errors import host_of
        from botkit_openai_chat.limits import RateLimiter
        from botkit_openai_chat.state import ChatState

        name, settings = self.settings_of(bot)
        key = os.environ.get(settings.api_key_env) or None
        state = ChatState(
            name=name,
            settings=settings,
            storage=bot.storage,
            rate=RateLimiter(settings.rate_per_minute, bot.clock),
            slots=asyncio.Semaphore(settings.max_concurrent_requests),
            now=self.now,
            hook_timeout=bot.config.bot.hook_timeout,
            client=make_client(settings, key) if key else None,
            api_key=key,
        )
        state.start_sweeping()
        self._states[bot] = state
        if key is None:
            log.error(
                "%s: the environment variable %s is not set, so the bot cannot chat; set it to "
                "the API key and restart (botkit doctor checks it)",
                name,
                settings.api_key_env,
            )
        else:
            log.info(
                "%s: model %s at %s, up to %d requests at once",
                name,
                settings.model,
                host_of(settings.base_url),
                settings.max_concurrent_requests,
            )

    @hookimpl
    async def botkit_shutdown(self, bot: Bot) -> None:
        state = self._states.pop(bot, None)
        if state is not None:
            await state.close()

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply | str:
        from botkit_openai_chat.answer import respond

        return await respond(self.state(ctx.bot), ctx, text, snippets, self.now())

    @hookimpl
    async def botkit_delete_user_data(self, bot: Bot, user_id: str) -> int:
        from botkit_openai_chat.store import delete_user

        return await delete_user(bot.storage, user_id)

    @hookimpl
    async def botkit_health(self, bot: Bot) -> list[Problem]:
        """A missing key, or (checked in a few seconds) a key or server that does not work."""
        _, settings = self.settings_of(bot)
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


async def probe(settings: ChatSettings, key: str) -> list[Problem]:
    """List the server's models once, with a short time-out and no retries."""
    import openai

    from botkit_openai_chat.errors import host_of

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
