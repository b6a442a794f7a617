"""The Discord adapter (discord.py 2.7).

Intents asked for (the minimum): ``guilds``, ``guild_messages``, ``dm_messages``,
``message_content`` (privileged; switch off with ``[discord] message_content = false``),
``guild_reactions``, ``dm_reactions``, ``voice_states``.

The entry point ``discord`` of ``botkit.adapters`` is :data:`spec.adapter`. Importing this
package does not import discord.py; the names below load their module on first use:
- ``await run_discord(bot, token) -> int``: run until SIGINT/SIGTERM (exit status);
- ``await sync_commands(bot, token) -> int``: register the slash commands (``botkit sync``);
- ``DiscordSettings``: the ``[discord]`` section;
- ``discord_health(settings) -> list[Problem]`` and
  ``await discord_login_problems(token, settings) -> list[Problem]`` for ``botkit doctor``.
"""

from __future__ import annotations

import importlib
from typing import Any

from botkit.adapters.discord.settings import DiscordSettings

_LAZY = {
    "DiscordAdapter": "client",
    "DiscordStartError": "client",
    "make_intents": "client",
    "discord_health": "runner",
    "discord_login_problems": "runner",
    "run_discord": "runner",
    "sync_commands": "runner",
    "DiscordVoice": "voice",
    "missing_voice_libraries": "voice",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"botkit.adapters.discord.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DiscordSettings", *_LAZY]
