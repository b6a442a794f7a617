"""``botkit doctor`` and ``botkit sync`` for Discord: an HTTP-only login each, no gateway."""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from botkit.adapter import Command, Problem, ffmpeg_executable, is_postgres
from botkit_discord import slash
from botkit_discord.client import DiscordAdapter
from botkit_discord.hearing import hearing_problem
from botkit_discord.settings import AUTO, MESSAGE_CONTENT_HELP, DiscordSettings
from botkit_discord.voice import INSTALL_FFMPEG, INSTALL_VOICE, missing_voice_libraries

LOGIN_CHECK_TIMEOUT = 15.0


async def sync_summary(token: str, settings: DiscordSettings, commands: list[Command]) -> str:
    """Log in over HTTP, register ``commands`` as slash commands; a one-line summary."""
    adapter = DiscordAdapter(token, settings)
    adapter.slash_commands = slash.register(adapter.tree, commands, adapter._invoke_slash)
    try:
        await adapter.login()
        names = await adapter.sync_commands()
    finally:
        await adapter.close()
    guilds = settings.sync_guild_ids
    where = f" in server(s) {', '.join(guilds)}" if guilds else " globally"
    return f"synced {len(names)} slash command(s){where}: {', '.join('/' + n for n in names)}"


def shares_token(settings: DiscordSettings) -> bool:
    """Whether other processes run this bot too: leased shards, or fixed ones that are only
    part of the count."""
    if settings.leased:
        return True
    ids = settings.shard_ids if isinstance(settings.shard_ids, list) else []
    if not (settings.sharded and ids):
        return False
    return settings.shard_count == AUTO or len(set(ids)) < int(settings.shard_count)


def discord_health(settings: DiscordSettings | None = None, storage_url: str = "") -> list[Problem]:
    """Local checks for ``botkit doctor``: voice libraries, hearing (PyAV's Opus decoder),
    ffmpeg, the intents asked for, leased shards' database and REST proxy."""
    settings = settings or DiscordSettings()
    problems = []
    if settings.leased and not is_postgres(storage_url):
        problems.append(
            Problem(
                'discord: shard_ids = "leased" needs PostgreSQL, and [storage] url is not one',
                "set [storage] url to a postgresql+asyncpg:// database every process shares",
            )
        )
    if shares_token(settings) and not settings.api_base:
        problems.append(
            Problem(
                "discord: several processes share the token (leased shards, or shard_ids that "
                "are not all of shard_count) and send REST calls straight to Discord: each "
                "keeps to its share of the global limit, but per-route limits are each "
                "process's own guess",
                "run a REST proxy (nirn-proxy or twilight-http-proxy) and set [discord] "
                "api_base to it; see docs/deploy.md",
                "warning",
            )
        )
    missing = missing_voice_libraries()
    if missing:
        problems.append(
            Problem(f"discord: voice needs {' and '.join(missing)}, not installed", INSTALL_VOICE)
        )
    deaf = hearing_problem()
    if deaf is not None:
        problems.append(
            Problem(
                f"discord: voice channels cannot be heard (!listen): {deaf}",
                "pip install av",
                "warning",
            )
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
    except (TimeoutError, OSError, aiohttp.ClientError, discord.HTTPException) as exc:
        return [
            Problem(
                f"discord: Discord could not be reached ({type(exc).__name__}: {exc}), so "
                "DISCORD_TOKEN was not checked",
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
