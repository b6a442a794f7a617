"""What the ``botkit`` command calls: run, sync slash commands, and doctor's checks."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import discord

from botkit.adapters.discord.client import DiscordAdapter, DiscordStartError
from botkit.adapters.discord.settings import MESSAGE_CONTENT_HELP, DiscordSettings
from botkit.adapters.discord.voice import INSTALL_FFMPEG, INSTALL_VOICE, missing_voice_libraries
from botkit.ffmpeg import ffmpeg_executable
from botkit.health import Problem

if TYPE_CHECKING:
    from botkit.bot import Bot

LOGIN_CHECK_TIMEOUT = 15.0


async def run_discord(bot: Bot, token: str) -> int:
    """Run ``bot`` on Discord until SIGINT/SIGTERM; 0, or 1 after one line on stderr."""
    adapter = DiscordAdapter(bot, token, bot.config.section("discord", DiscordSettings))
    with _stop_on_signals(adapter):
        try:
            await adapter.serve()
        except DiscordStartError as exc:
            print(f"botkit: {exc}", file=sys.stderr)
            return 1
    return 0


async def sync_commands(bot: Bot, token: str) -> int:
    """Register ``bot``'s slash commands with Discord; 0, or 1 after one line on stderr."""
    adapter = DiscordAdapter(bot, token, bot.config.section("discord", DiscordSettings))
    try:
        await adapter.login()
        names = await adapter.sync_commands()
    except DiscordStartError as exc:
        print(f"botkit: {exc}", file=sys.stderr)
        return 1
    finally:
        await adapter.close()
    guilds = adapter.settings.sync_guild_ids
    where = f" in server(s) {', '.join(guilds)}" if guilds else " globally"
    print(f"synced {len(names)} slash command(s){where}: {', '.join('/' + n for n in names)}")
    return 0


@contextmanager
def _stop_on_signals(adapter: DiscordAdapter) -> Iterator[None]:
    """SIGINT and SIGTERM close the adapter cleanly (handlers finish, the bot stops)."""
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[Any]] = set()

    def stop() -> None:
        task = loop.create_task(adapter.close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        # loops without signal support raise NotImplementedError (e.g. Windows), and any loop
        # outside the main thread RuntimeError or ValueError: then Ctrl-C still ends the run
        with suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def discord_health(settings: DiscordSettings | None = None) -> list[Problem]:
    """Local checks for ``botkit doctor``: voice libraries, ffmpeg, the intents asked for."""
    settings = settings or DiscordSettings()
    problems = []
    missing = missing_voice_libraries()
    if missing:
        problems.append(
            Problem(f"discord: voice needs {' and '.join(missing)}, not installed", INSTALL_VOICE)
        )
    if ffmpeg_executable() is None:
        problems.append(
            Problem(
                "discord: no ffmpeg, so no audio can be played in voice channels",
                INSTALL_FFMPEG,
                "warning",
            )
        )
    if not settings.message_content:
        problems.append(
            Problem(
                "discord: message_content = false: in servers only mentions and slash "
                "commands reach the bot",
                f"{MESSAGE_CONTENT_HELP}, then set [discord] message_content = true",
                "warning",
            )
        )
    return problems


async def discord_login_problems(
    token: str, settings: DiscordSettings | None = None
) -> list[Problem]:
    """Log in over HTTP only (no gateway) to check the token and the message-content intent."""
    settings = settings or DiscordSettings()
    client = discord.Client(intents=discord.Intents.none())
    try:
        await asyncio.wait_for(client.login(token), LOGIN_CHECK_TIMEOUT)
    except discord.LoginFailure:
        return [
            Problem(
                "discord: Discord rejected DISCORD_TOKEN",
                "reset the bot token in the "
                "developer portal (Bot -> Reset Token) and set DISCORD_TOKEN to it",
            )
        ]
    except (TimeoutError, OSError, discord.HTTPException) as exc:
        return [
            Problem(
                f"discord: cannot log in to Discord: {type(exc).__name__}: {exc}",
                "check the network",
                "warning",
            )
        ]
    finally:
        await client.close()
    flags = client.application_flags
    if settings.message_content and not (
        flags.gateway_message_content or flags.gateway_message_content_limited
    ):
        return [
            Problem(
                "discord: the message-content intent is not enabled for this bot",
                f"{MESSAGE_CONTENT_HELP}, or set [discord] message_content = false",
            )
        ]
    return []
