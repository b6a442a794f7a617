"""``botkit doctor``: the host's own checks plus every plugin's health hook."""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import TextIO

import attrs
from sqlalchemy import text

from botkit.bot import Bot
from botkit.health import Problem
from botkit.logs import remember_key_variables
from botkit.plugins import PluginStatus

STORAGE_TIMEOUT = 10.0


async def diagnose(bot: Bot, out: TextIO) -> int:
    """Print every problem found; return 1 when any is an error, else 0."""
    remember_key_variables(bot.config, bot.settings.values())
    problems = [*plugin_problems(bot), *data_dir_problems(bot), *await storage_problems(bot)]
    problems += await adapter_problems(bot)
    problems += await health_problems(bot)
    await bot.storage.close()
    for status in bot.plugins.statuses.values():
        print(f"plugin {status.name:<14} {status.state}", file=out)
    for p in sorted(problems, key=lambda p: p.severity == "info"):
        mark = {"error": "ERROR", "info": "info"}.get(p.severity, "warning")
        print(f"{mark}: {p.message}" + (f"\n  fix: {p.fix}" if p.fix else ""), file=out)
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity not in ("error", "info") for p in problems)
    print(f"{errors} error(s), {warnings} warning(s)", file=out)
    return 1 if errors else 0


async def health_problems(bot: Bot) -> list[Problem]:
    """What every plugin's health hook reports; a hook that fails (raises, times out,
    returns the wrong thing) is an error of that plugin, one that blocks the loop a warning."""
    statuses = bot.plugins.statuses
    before = {name: attrs.evolve(s) for name, s in statuses.items()}
    problems = []
    for name, found in await bot.plugins.call_all("botkit_health", plugin=None):
        problems += [Problem(f"{name}: {p.message}", p.fix, p.severity) for p in found]
    for name, s in statuses.items():
        was = before.get(name) or PluginStatus(name)
        if s.failures + s.timeouts + s.bad_results > was.failures + was.timeouts + was.bad_results:
            problems.append(
                Problem(
                    f"{name}: its health check failed (see the log above)",
                    f"fix or update the plugin {name}, or disable it",
                )
            )
        elif s.slow_calls > was.slow_calls:
            problems.append(
                Problem(
                    f"{name}: its health check held the event loop (see the log above)",
                    "blocking work belongs in a thread (asyncio.to_thread) or a process",
                    "warning",
                )
            )
    return problems


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


async def adapter_problems(bot: Bot) -> list[Problem]:
    """Each installed adapter whose token is set checks it against its service."""
    from botkit.adapters import registry

    problems = []
    for status in registry.statuses():
        if status.state == "error":
            problems.append(
                Problem(f"adapter {status.name} cannot be loaded: {status.error}", "reinstall it")
            )
            continue
        if not status.token_env or not os.environ.get(status.token_env, "").strip():
            continue
        spec = registry.load(status.name)
        try:
            found = await spec.check(registry.setup(spec, bot.config))
        except Exception as exc:
            found = [Problem(f"{status.name}: the check failed: {type(exc).__name__}: {exc}")]
        problems += found
    return problems
