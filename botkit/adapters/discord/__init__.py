"""The Discord adapter (discord.py 2.7).

Intents asked for (the minimum): ``guilds``, ``guild_messages``, ``dm_messages``,
``message_content`` (privileged; switch off with ``[discord] message_content = false``),
``guild_reactions``, ``dm_reactions``, ``voice_states``.

The ``botkit`` command uses:
- ``await run_discord(bot, token) -> int``: run until SIGINT/SIGTERM (exit status);
- ``await sync_commands(bot, token) -> int``: register the slash commands (``botkit sync``);
- ``DiscordSettings``: the ``[discord]`` section;
- ``discord_health(settings) -> list[Problem]`` and
  ``await discord_login_problems(token, settings) -> list[Problem]`` for ``botkit doctor``.
"""

from botkit.adapters.discord.client import DiscordAdapter, DiscordStartError
from botkit.adapters.discord.runner import (
    discord_health,
    discord_login_problems,
    run_discord,
    sync_commands,
)
from botkit.adapters.discord.settings import DiscordSettings, make_intents
from botkit.adapters.discord.voice import DiscordVoice, missing_voice_libraries

__all__ = [
    "DiscordAdapter",
    "DiscordSettings",
    "DiscordStartError",
    "DiscordVoice",
    "discord_health",
    "discord_login_problems",
    "make_intents",
    "missing_voice_libraries",
    "run_discord",
    "sync_commands",
]
