"""``botkit doctor``: what is fine and what is not, from the host's own checks and every
plugin's and adapter's health check."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import attrs
from sqlalchemy import text

from botkit.ffmpeg import ffmpeg_executable
from botkit.health import Problem
from botkit.logs import remember_key_variables
from botkit.plugins import PluginStatus

if TYPE_CHECKING:
    from botkit.config import Config
    from botkit.plugins import Plugins
    from botkit.storage import Storage


class Examined(Protocol):
    """What the doctor reads of a bot it has built but not started."""

    config: Config
    plugins: Plugins
    settings: dict[str, Any]

    @property
    def storage(self) -> Storage: ...


STORAGE_TIMEOUT = 10.0
FFMPEG_TIMEOUT = 10.0
MARKS = {"error": "ERROR", "warning": "warning"}


@attrs.frozen
class Line:
    """One thing checked and found, fine or not: ``adapter    ok       console: ...``."""

    subject: str
    state: str
    detail: str

    def __str__(self) -> str:
        return f"{self.subject:<10} {self.state:<8} {self.detail}".rstrip()


async def diagnose(bot: Examined, out: TextIO) -> int:
    """Print what was checked, then every problem; return 1 when any is an error, else 0."""
    remember_key_variables(bot.config, bot.settings.values())
    with third_party_logs_hidden():
        lines, problems = await checks(bot)
    for line in lines:
        print(line, file=out)
    for p in problems:
        print(f"{MARKS.get(p.severity, 'warning')}: {p.message}", file=out)
        if p.fix and p.fix not in p.message:  # a fix the message already says is noise
            print(f"  fix: {p.fix}", file=out)
    errors = sum(p.severity == "error" for p in problems)
    print(f"{errors} error(s), {len(problems) - errors} warning(s)", file=out)
    return 1 if errors else 0


async def checks(bot: Examined) -> tuple[list[Line], list[Problem]]:
    """Every line to show and every problem (errors first), the storage closed after."""
    lines = [await ffmpeg_line()]
    problems = data_dir_problems(bot)
    if not problems:
        lines.append(Line("data", "ok", f"{bot.config.data_dir} (writable)"))
    try:
        found, trouble = await storage_lines(bot)
        lines += found
        problems += trouble
        found, trouble = await adapter_lines(bot)
        lines += found
        problems += trouble
        lines += plugin_lines(bot)
        problems += plugin_problems(bot)
        lines.append(engines_line(bot))
        for p in await health_problems(bot):
            if p.severity == "info":
                name, _, message = p.message.partition(": ")
                lines.append(Line(name, "info", message))
            else:
                problems.append(p)
    finally:
        await bot.storage.close()
    problems.sort(key=lambda p: p.severity != "error")
    return lines, problems


async def ffmpeg_line() -> Line:
    """Where ffmpeg is and which version (the plugins that need it say what is missing)."""
    path = await asyncio.to_thread(ffmpeg_executable)
    if path is None:
        return Line("ffmpeg", "missing", "not found: no audio conversion or playback")
    return Line("ffmpeg", "ok", f"{path} (version {await ffmpeg_version(path)})")


async def ffmpeg_version(path: str) -> str:
    """``6.1.1`` out of ``ffmpeg -version``'s first line, or ``unknown``."""
    try:
        process = await asyncio.create_subprocess_exec(
            path,
            "-version",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        return "unknown"
    try:
        async with asyncio.timeout(FFMPEG_TIMEOUT):
            out, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        return "unknown"
    words = out.decode(errors="replace").split()
    return words[2] if words[:2] == ["ffmpeg", "version"] and len(words) > 2 else "unknown"


async def storage_lines(bot: Examined) -> tuple[list[Line], list[Problem]]:
    """The database (its URL without the password) and each plugin's schema revision."""
    where = bot.storage.engine.url.render_as_string(hide_password=True)
    migrations = bot.plugins.collect("botkit_migrations")
    try:
        async with asyncio.timeout(STORAGE_TIMEOUT):
            async with bot.storage.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                current = {name: await conn.run_sync(_version, name) for name in sorted(migrations)}
    except Exception as exc:
        problem = Problem(
            f"database {where} unreachable: {type(exc).__name__}", "check [storage] url"
        )
        return [Line("database", "ERROR", where)], [problem]
    lines = [Line("database", "ok", where)]
    for name in sorted(migrations):
        head = await asyncio.to_thread(_head, Path(migrations[name]))
        at = current[name]
        if at is None:
            state = f"no tables yet (the first run creates them at revision {head})"
        elif at == head:
            state = f"at revision {at}, the latest"
        else:
            state = f"at revision {at}; the next run upgrades it to {head}"
        lines.append(Line("schema", "ok", f"{name}: {state}"))
    return lines, []


def _version(connection: object, plugin: str) -> str | None:
    from botkit.migrations import version_of

    return version_of(connection, plugin)  # type: ignore[arg-type]


def _head(location: Path) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(location))
    return ScriptDirectory.from_config(config).get_current_head() or "none"


async def adapter_lines(bot: Examined) -> tuple[list[Line], list[Problem]]:
    """Each installed adapter: loadable, token set or not, and (token set) its own check."""
    from botkit.adapters import registry

    lines, problems = [], []
    for status in registry.statuses():
        if status.state == "error":
            lines.append(Line("adapter", "ERROR", f"{status.name}: cannot be loaded"))
            problems.append(
                Problem(f"adapter {status.name} cannot be loaded: {status.error}", "reinstall it")
            )
            continue
        if not status.token_env:
            lines.append(Line("adapter", "ok", f"{status.name}: no token needed"))
            continue
        if not os.environ.get(status.token_env, "").strip():
            detail = f"{status.name}: {status.token_env} is not set, so it is not used"
            lines.append(Line("adapter", "not set", detail))
            continue
        spec = registry.load(status.name)
        try:
            found = await spec.check(registry.setup(spec, bot.config))
        except Exception as exc:
            found = [Problem(f"{status.name}: the check failed: {type(exc).__name__}: {exc}")]
        worst = next((s for s in ("error", "warning") if any(p.severity == s for p in found)), "")
        if worst:
            detail = f"{status.name}: {status.token_env} is set; see below"
        else:
            detail = f"{status.name}: {status.token_env} is set and checked"
        lines.append(Line("adapter", MARKS.get(worst, "ok"), detail))
        problems += [p for p in found if p.severity != "info"]
        lines += [Line(status.name, "info", p.message) for p in found if p.severity == "info"]
    return lines, problems


def plugin_lines(bot: Examined) -> list[Line]:
    return [
        Line("plugin", MARKS.get(s.state, s.state), f"{s.name} {s.version or ''}".rstrip())
        for s in bot.plugins.statuses.values()
    ]


def plugin_problems(bot: Examined) -> list[Problem]:
    """A plugin that failed to load; one whose configuration section is wrong is said to be
    installed but not loaded, with the configuration's own error."""
    where = str(bot.config.path or "configuration")
    problems = []
    for s in bot.plugins.statuses.values():
        if s.state != "error":
            continue
        section = s.error.find(f"{where}: [{s.name}]")
        if section >= 0:
            why = s.error[section:].removesuffix("; see botkit doctor")
            message = f"plugin {s.name} is installed but not loaded: {why}"
            fix = f"correct the [{s.name}] section of {where}, or disable the plugin"
        else:
            message = f"plugin {s.name} failed to load: {s.error}"
            fix = "fix or uninstall it, or disable it"
        problems.append(Problem(message, fix))
    return problems


def engines_line(bot: Examined) -> Line:
    """Which plugins hear (speech to text) and speak (text to speech)."""
    hear = bot.plugins.implements("botkit_transcribe")
    speak = bot.plugins.implements("botkit_synthesize")
    if not hear and not speak:
        return Line("engines", "none", "no plugin hears or speaks (install botkit-voice)")
    detail = (
        f"speech-to-text: {', '.join(hear) or 'none'}; text-to-speech: {', '.join(speak) or 'none'}"
    )
    return Line("engines", "ok", detail)


async def health_problems(bot: Examined) -> list[Problem]:
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


def data_dir_problems(bot: Examined) -> list[Problem]:
    data_dir = bot.config.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        return [Problem(f"data directory {data_dir} is not writable: {exc}", "set [bot] data_dir")]
    return []


class _HostOnly(logging.Filter):
    """Lets through the host's and the plugins' records (loggers named ``botkit...``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith("botkit")


@contextmanager
def third_party_logs_hidden() -> Iterator[None]:
    """While the checks run, libraries' log lines (discord.py's intents warning, aiohttp's
    connection errors) stay off stderr: what they mean is in the problems printed."""
    keep = _HostOnly()
    handlers = logging.getLogger().handlers[:]
    for handler in handlers:
        handler.addFilter(keep)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(keep)
