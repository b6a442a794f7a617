"""Where the trainer meets the running bot (botkit 0.1: through the Bot object)."""

from __future__ import annotations

import sys
import weakref
from typing import Any

from botkit import Context
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.state import Runtime

DEFAULT_NAME = "trainer"

_runtimes: weakref.WeakKeyDictionary[Any, Runtime] = weakref.WeakKeyDictionary()


def plugin_name(bot: Any) -> str:
    return bot.plugins.pm.get_name(sys.modules["botkit_trainer"]) or DEFAULT_NAME


def settings_of(bot: Any) -> TrainerSettings:
    return bot.settings.get(plugin_name(bot)) or TrainerSettings()


def runtime_for(bot: Any) -> Runtime:
    if bot not in _runtimes:
        _runtimes[bot] = Runtime()
    return _runtimes[bot]


def runtime_of(ctx: Context) -> Runtime:
    return runtime_for(ctx.bot)


async def forget(bot: Any) -> None:
    runtime = _runtimes.pop(bot, None)
    if runtime is not None:
        await runtime.close()
