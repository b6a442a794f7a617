"""What the trainer keeps per running bot: its settings, API client and job poller."""

from __future__ import annotations

import os
import sys
import weakref
from typing import TYPE_CHECKING, Any

import attrs
import openai

from botkit_trainer.settings import TrainerSettings

if TYPE_CHECKING:
    from botkit.bot import Bot

DEFAULT_NAME = "trainer"


class NoApiKey(Exception):
    """Fine-tuning was asked for but the API key's environment variable is empty."""


@attrs.define
class State:
    """One bot's client (created on first use) and background poller task."""

    client: openai.AsyncOpenAI | None = None
    poller: Any = None


_states: weakref.WeakKeyDictionary[Bot, State] = weakref.WeakKeyDictionary()


def plugin_name(bot: Bot) -> str:
    """The name this plugin is registered under (``trainer`` from its entry point)."""
    return bot.plugins.pm.get_name(sys.modules["botkit_trainer"]) or DEFAULT_NAME


def settings_of(bot: Bot) -> TrainerSettings:
    return bot.settings.get(plugin_name(bot)) or TrainerSettings()


def state_of(bot: Bot) -> State:
    if bot not in _states:
        _states[bot] = State()
    return _states[bot]


def api_key(settings: TrainerSettings) -> str | None:
    return os.environ.get(settings.api_key_env) or None


def client_of(bot: Bot) -> openai.AsyncOpenAI:
    """The bot's shared client for the fine-tuning API; raises :class:`NoApiKey`."""
    state = state_of(bot)
    if state.client is None:
        settings = settings_of(bot)
        key = api_key(settings)
        if key is None:
            raise NoApiKey(settings.api_key_env)
        state.client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=key,
            timeout=settings.request_timeout,
            max_retries=settings.max_retries,
        )
    return state.client


async def forget(bot: Bot) -> None:
    """Close the client and drop the bot's state (at shutdown)."""
    state = _states.pop(bot, None)
    if state is not None and state.client is not None:
        await state.client.close()
