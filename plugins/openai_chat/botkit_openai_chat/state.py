"""What the plugin keeps per running bot: settings, the client, the limits, batched storage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from botkit import ChannelKind, Context
from botkit_openai_chat import store
from botkit_openai_chat.batch import Batcher
from botkit_openai_chat.limits import RateLimiter, day_of
from botkit_openai_chat.settings import (
    DEFAULT_PROMPTS,
    MODEL_KEY,
    SYSTEM_KEY,
    ChatSettings,
    default_prompt,
)

if TYPE_CHECKING:
    import openai

log = logging.getLogger("botkit.openai_chat")

GUILDS_CACHED = 10_000  # spaces whose model and prompt are kept in memory at once
SWEEP_EVERY = 3600.0  # seconds between removals of idle conversations and old usage details


@attrs.define
class ChatState:
    """One bot's chat client (None without an API key), concurrency bound and rate limiter.

    A space's model and prompt are cached here (the most recently used spaces only): a server
    is served by one bot process (one shard), which also runs the commands that change them.
    """

    name: str
    settings: ChatSettings
    storage: Any
    rate: RateLimiter
    slots: asyncio.Semaphore
    now: Callable[[], datetime]
    hook_timeout: float
    api_key: str | None = attrs.field(default=None, repr=False)
    key_explained: bool = False
    history: Batcher[str, list[store.Turn]] = attrs.field(init=False)
    save: Batcher[store.Exchange, None] = attrs.field(init=False)
    _choices: OrderedDict[str, asyncio.Task[tuple[str, str]]] = attrs.field(
        factory=OrderedDict, init=False
    )
    # (base_url, model) pairs that refused images: not sent them again while the bot runs
    blind: set[tuple[str, str]] = attrs.field(factory=set, init=False)
    _personas: OrderedDict[tuple[str, str], tuple[str, str] | None] = attrs.field(
        factory=OrderedDict, init=False
    )
    _sweeper: asyncio.Task[None] | None = attrs.field(default=None, init=False)
    _clients: dict[str, openai.AsyncOpenAI] = attrs.field(factory=dict, init=False)
    engine: asyncio.Task[None] | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        self.history = Batcher(self._histories)
        self.save = Batcher(self._save_all)

    async def ready(self) -> None:
        """Wait until the SDK is imported and the bot's client made (started at start-up in
        a worker thread, so commands are served meanwhile)."""
        if self.engine is not None:
            await asyncio.shield(self.engine)

    @property
    def client(self) -> openai.AsyncOpenAI | None:
        """The client for the configuration file's ``base_url`` (None without a key)."""
        return self.client_for(self.settings)

    def client_for(self, settings: ChatSettings) -> openai.AsyncOpenAI | None:
        """The client for these (a server's) settings: one per ``base_url`` the bot's owner
        configured, shared by every message that uses it."""
        if self.api_key is None:
            return None
        client = self._clients.get(settings.base_url)
        if client is None:
            from botkit_openai_chat.client import make_client

            client = self._clients[settings.base_url] = make_client(settings, self.api_key)
        return client

    async def _histories(self, keys: list[str]) -> list[list[store.Turn]]:
        limit = self.settings.history_messages
        return await store.histories(self.storage, keys, limit, since=self.idle_cutoff())

    async def _save_all(self, exchanges: list[store.Exchange]) -> list[None]:
        return await store.save_all(self.storage, exchanges, keep=self.settings.history_messages)

    def idle_cutoff(self) -> float | None:
        """Conversations whose last message is older than this (epoch seconds) are over."""
        days = self.settings.conversation_idle_days
        return (self.now() - timedelta(days=days)).timestamp() if days else None

    def missing_key_reply(self) -> str:
        """The full explanation the first time, a one-line reminder afterwards."""
        env = self.settings.api_key_env
        if self.key_explained:
            return f"Chat is off until the bot's owner sets {env}."
        self.key_explained = True
        return (
            f"I cannot chat yet: no API key is set. The bot's owner must put the key in the "
            f"environment variable {env} and restart the bot (for Ollama, LM Studio or another "
            f"local server without keys, any value will do). `botkit doctor` checks it."
        )

    async def guild_choice(self, ctx: Context) -> tuple[str, str]:
        """The model and system prompt here: its admins' choice or the defaults (the default
        prompt naming the platform the bot is on)."""
        model, _ = await self._choice(ctx)
        system, _ = await self.system_prompt(ctx)
        return model, system

    async def system_prompt(self, ctx: Context) -> tuple[str, str]:
        """The system prompt here and where it comes from: ``thread`` or ``channel`` (set
        there), ``parent`` (set in the channel of this thread), ``space`` (the server's) or
        ``default`` (the configuration's)."""
        found = await self._persona(ctx)
        if found is not None:
            system, where = found
        else:
            _, chosen = await self._choice(ctx)
            system, where = (chosen, "space") if chosen is not None else (None, "default")
            if system is None:
                system = self.settings.system_prompt
        if system in DEFAULT_PROMPTS:
            system = default_prompt(ctx.plugin.capabilities.adapter, ctx.guild_id is None)
        return system, where

    async def _persona(self, ctx: Context) -> tuple[str, str] | None:
        """The prompt set in this channel or thread (or the thread's channel), if any."""
        if ctx.guild_id is None:
            return None
        channel = ctx.message.channel
        key = (ctx.space, channel.id)
        if key in self._personas:
            self._personas.move_to_end(key)
            return self._personas[key]
        thread = channel.kind is ChannelKind.THREAD
        ids = [channel.id, *([channel.parent_id] if thread and channel.parent_id else [])]
        found = await store.personas_of(self.storage, ctx.space, ids)
        result = None
        if channel.id in found:
            result = (found[channel.id], "thread" if thread else "channel")
        elif len(ids) > 1 and ids[1] in found:
            result = (found[ids[1]], "parent")
        self._personas[key] = result
        if len(self._personas) > GUILDS_CACHED:
            self._personas.popitem(last=False)
        return result

    def persona_changed(self, space: str) -> None:
        """Forget the cached channel prompts of a space (a thread's may come from its channel)."""
        for key in [k for k in self._personas if k[0] == space]:
            del self._personas[key]

    async def _choice(self, ctx: Context) -> tuple[str, str | None]:
        space = ctx.space
        task = self._choices.get(space)
        if task is None:  # one lookup per space, shared by every message waiting for it
            task = self._choices[space] = asyncio.create_task(self._read_choice(ctx))
            if len(self._choices) > GUILDS_CACHED:
                self._choices.popitem(last=False)
        else:
            self._choices.move_to_end(space)
            if task.done() and not task.cancelled() and task.exception() is None:
                return task.result()  # the usual case: no future to wait on
        try:
            return await asyncio.shield(task)
        except Exception:
            self._choices.pop(space, None)
            raise

    def choice_changed(self, space: str) -> None:
        self._choices.pop(space, None)

    def guilds_cached(self) -> int:
        return len(self._choices)

    async def _read_choice(self, ctx: Context) -> tuple[str, str | None]:
        """The space's model (or the default) and system prompt (None: the default)."""
        model = await ctx.get_setting(MODEL_KEY, None)
        system = await ctx.get_setting(SYSTEM_KEY, None)
        return model or self.settings.model, system

    async def sweep(self) -> tuple[int, int]:
        """Delete idle conversations and roll per-user token counts older than the retention
        period up into per-server totals; (turns deleted, usage rows rolled up)."""
        cutoff = self.idle_cutoff()
        gone = 0 if cutoff is None else await store.expire(self.storage, cutoff)
        days = self.settings.usage_retention_days
        rolled = 0
        if days:
            rolled = await store.roll_up(self.storage, day_of(self.now() - timedelta(days=days)))
        if gone or rolled:
            log.info(
                "%s: %d turns of idle conversations deleted, %d usage rows rolled up",
                self.name,
                gone,
                rolled,
            )
        return gone, rolled

    def start_sweeping(self, every: float = SWEEP_EVERY) -> None:
        """Sweep every ``every`` seconds while the bot runs."""
        self._sweeper = asyncio.create_task(self._sweep_forever(every), name=f"{self.name} sweep")

    async def _sweep_forever(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep()
            except Exception:  # the database may be briefly unavailable; try next time
                log.exception("%s: sweeping idle conversations failed", self.name)

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self.engine is not None:  # a client made while stopping is closed with the others
            with contextlib.suppress(Exception):
                await self.engine
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
