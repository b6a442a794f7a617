"""botkit on Discord: the gateway and HTTP API through discord.py 2.7.

Intents asked for (the minimum): ``guilds``, ``guild_messages``, ``dm_messages``,
``message_content`` (privileged; switch off with ``[discord] message_content = false``),
``guild_reactions``, ``dm_reactions``, ``voice_states``.

The entry point ``botkit.adapters: discord`` names ``botkit_discord.spec:adapter`` (light to
import). Importing this package does not import discord.py; the names below load their module
on first use:
- ``DiscordAdapter``: the adapter (``botkit_discord.client``);
- ``DiscordSettings``: the ``[discord]`` section;
- ``discord_health(settings) -> list[Problem]`` and
  ``await discord_login_problems(token, settings) -> list[Problem]`` for ``botkit doctor``;
- ``await sync_summary(token, settings, commands) -> str`` for ``botkit sync``.
"""

from __future__ import annotations

import importlib
from typing import Any

from botkit_discord.settings import DiscordSettings

_LAZY = {
    "DiscordAdapter": "client",
    "DiscordStartError": "client",
    "make_intents": "client",
    "discord_health": "doctor",
    "discord_login_problems": "doctor",
    "sync_summary": "doctor",
    "DiscordVoice": "voice",
    "missing_voice_libraries": "voice",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"botkit_discord.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DiscordSettings", *_LAZY]
