"""What the plugin keeps per running bot: settings, the client, the limits, batched storage."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import attrs
import openai

from botkit import Context
from botkit.storage import Storage
from botkit_openai_chat import store
from botkit_openai_chat.batch import Batcher
from botkit_openai_chat.limits import RateLimiter
from botkit_openai_chat.settings import ChatSettings

log = logging.getLogger("botkit.openai_chat")

MODEL_KEY = "model"
SYSTEM_KEY = "system_prompt"


@attrs.define
class ChatState:
    """One bot's chat client (None without an API key), concurrency bound and rate limiter.

    A guild's model and prompt are cached here: a guild is served by one bot process (one
    shard), which also runs the commands that change them.
    """

    name: str
    settings: ChatSettings
    rate: RateLimiter
    slots: asyncio.Semaphore
    history: Batcher[str, list[store.Turn]]
    save: Batcher[store.Exchange, None]
    hook_timeout: float
    client: openai.AsyncOpenAI | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    key_explained: bool = False
    _choices: dict[str, asyncio.Task[tuple[str, str]]] = attrs.field(factory=dict)

    @classmethod
    def create(
        cls, name: str, settings: ChatSettings, storage: Storage, **kwargs: object
    ) -> ChatState:
        return cls(
            name=name,
            settings=settings,
            history=Batcher(partial(store.histories, storage, limit=settings.history_messages)),
            save=Batcher(partial(store.save_all, storage, keep=settings.history_messages)),
            **kwargs,
        )

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
        """The model and system prompt for this guild: its admins' choice or the defaults."""
        if ctx.guild_id is None:
            return self.settings.model, self.settings.system_prompt
        task = self._choices.get(ctx.guild_id)
        if task is None:  # one lookup per guild, shared by every message waiting for it
            task = self._choices[ctx.guild_id] = asyncio.create_task(self._read_choice(ctx))
        try:
            return await asyncio.shield(task)
        except Exception:
            self._choices.pop(ctx.guild_id, None)
            raise

    def choice_changed(self, guild_id: str) -> None:
        self._choices.pop(guild_id, None)

    async def _read_choice(self, ctx: Context) -> tuple[str, str]:
        model = await ctx.get_setting(MODEL_KEY, None)
        system = await ctx.get_setting(SYSTEM_KEY, None)
        return (
            model or self.settings.model,
            self.settings.system_prompt if system is None else system,
        )
