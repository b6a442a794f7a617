"""``botkit doctor``: the host's own checks plus every plugin's health hook."""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import TextIO

from sqlalchemy import text

from botkit.bot import Bot
from botkit.health import Problem

STORAGE_TIMEOUT = 10.0


async def diagnose(bot: Bot, out: TextIO) -> int:
    """Print every problem found; return 1 when any is an error, else 0."""
    problems = [*plugin_problems(bot), *data_dir_problems(bot), *await storage_problems(bot)]
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if token:
        problems += await discord_problems(bot, token)
    for name, found in await bot.plugins.call_all("botkit_health", bot=bot):
        problems += [Problem(f"{name}: {p.message}", p.fix, p.severity) for p in found]
    await bot.storage.close()
    for status in bot.plugins.statuses.values():
        print(f"plugin {status.name:<14} {status.state}", file=out)
    for p in problems:
        mark = "ERROR" if p.severity == "error" else "warning"
        print(f"{mark}: {p.message}" + (f"\n  fix: {p.fix}" if p.fix else ""), file=out)
    errors = sum(p.severity == "error" for p in problems)
    print(f"{errors} error(s), {len(problems) - errors} warning(s)", file=out)
    return 1 if errors else 0


def plugin_problems(bot: Bot) -> list[Problem]:
    return [
        Problem(f"plugin {s.name} failed to load: {s.error}", "fix or uninstall it, or disable it")
        for s in bot.plugins.statuses.values()
        if s.state == "error"
    ]


def data_dir_problems(bot: Bot) -> list[Problem]:
    data_dir = bot.config.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        return [Problem(f"data directory {data_dir} is not writable: {exc}", "set [bot] data_dir")]
    return []


async def storage_problems(bot: Bot) -> list[Problem]:
    try:
        async with asyncio.timeout(STORAGE_TIMEOUT):
            async with bot.storage.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:
        where = bot.storage.engine.url.render_as_string(hide_password=True)
        return [
            Problem(f"database {where} unreachable: {type(exc).__name__}", "check [storage] url")
        ]
    return []


async def discord_problems(bot: Bot, token: str) -> list[Problem]:
    """Voice libraries, ffmpeg and intents, then a real HTTP-only login with the token."""
    from botkit.adapters.discord import DiscordSettings, discord_health, discord_login_problems

    settings = bot.config.section("discord", DiscordSettings)
    return [*discord_health(settings), *await discord_login_problems(token, settings)]
