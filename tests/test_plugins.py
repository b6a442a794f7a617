"""Plugin discovery through real entry points, isolation of failures, and hook calls."""

from __future__ import annotations

import asyncio
import importlib
import logging
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import attrs
import pytest

import botkit
from botkit import Context
from botkit.bot import Bot
from botkit.config import Config
from botkit.plugins import PluginError
from botkit.testing import BotHarness, RecordingAdapter

GOOD = '''
import botkit

async def goodhello(ctx):
    """Say hello from the good plugin."""
    return "good says hello"

@botkit.hookimpl
def botkit_commands():
    return [botkit.command(goodhello)]
'''

BROKEN = 'raise RuntimeError("broken plugin exploded on import")\n'


def build(tmp_path: Path, raw: dict | None = None, **kwargs) -> Bot:
    raw = {k: dict(v) for k, v in (raw or {}).items()}
    raw.setdefault("bot", {})["data_dir"] = str(tmp_path / "data")
    return Bot.build(Config.from_dict(raw), strict=kwargs.pop("strict", False), **kwargs)


@asynccontextmanager
async def running(bot: Bot) -> AsyncIterator[BotHarness]:
    adapter = RecordingAdapter()
    await bot.start(adapter)
    try:
        yield BotHarness(bot, adapter)
    finally:
        await bot.stop()


# --- discovery through entry points ---


async def test_broken_plugin_is_marked_error_with_its_exception(
    tmp_path, install_plugin, monkeypatch
) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "good,broken")
    install_plugin("good", "good_plugin", GOOD)
    install_plugin("broken", "broken_plugin", BROKEN)
    async with running(build(tmp_path)) as bot:
        replies = await bot.send("!plugins")
    assert "`broken` 0.1 error: RuntimeError: broken plugin exploded on import" in replies.text


async def test_bot_still_answers_with_a_broken_plugin_installed(
    tmp_path, install_plugin, monkeypatch
) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "broken")
    install_plugin("broken", "broken_plugin", BROKEN)
    async with running(build(tmp_path)) as bot:
        assert (await bot.send("!hi")).text == "HI!"


async def test_installed_plugin_command_works(tmp_path, install_plugin, monkeypatch) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "good,broken")
    install_plugin("good", "good_plugin", GOOD)
    install_plugin("broken", "broken_plugin", BROKEN)
    async with running(build(tmp_path)) as bot:
        assert (await bot.send("!goodhello")).text == "good says hello"


async def test_installed_plugin_has_its_distribution_and_version(
    tmp_path, install_plugin, monkeypatch
) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "good")
    install_plugin("good", "good_plugin", GOOD)
    status = build(tmp_path).plugins.statuses["good"]
    assert (status.distribution, status.version, status.commands) == (
        "botkit-test-good",
        "0.1",
        ["goodhello"],
    )


async def test_uninstalled_plugin_command_is_gone_from_help(
    tmp_path, install_plugin, monkeypatch
) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "good")
    info = install_plugin("good", "good_plugin", GOOD)
    async with running(build(tmp_path)) as bot:
        assert "!goodhello" in (await bot.send("!help")).text
    shutil.rmtree(info)
    (info.parent / "good_plugin.py").unlink()
    sys.modules.pop("good_plugin", None)
    importlib.invalidate_caches()
    async with running(build(tmp_path)) as bot:
        assert "goodhello" not in (await bot.send("!help")).text


async def test_plugin_disabled_in_config_is_never_imported(
    tmp_path, install_plugin, monkeypatch
) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "good,quiet")
    install_plugin("good", "good_plugin", GOOD)
    install_plugin("quiet", "quiet_plugin", GOOD.replace("goodhello", "quiethello"))
    bot = build(tmp_path, {"plugins": {"disabled": ["quiet"]}})
    assert bot.plugins.statuses["quiet"].state == "disabled"
    assert "quiet_plugin" not in sys.modules
    assert "good_plugin" in sys.modules


async def test_allowlist_loads_only_the_named_plugins(
    tmp_path, install_plugin, monkeypatch
) -> None:
    install_plugin("good", "good_plugin", GOOD)
    install_plugin("other", "other_plugin", GOOD.replace("goodhello", "otherhello"))
    monkeypatch.setenv("BOTKIT_PLUGINS", "good")
    bot = build(tmp_path)
    states = {n: s.state for n, s in bot.plugins.statuses.items() if s.state != "disabled"}
    assert states == {"builtin": "ok", "permissions": "ok", "good": "ok"}
    assert bot.plugins.statuses["other"].state == "disabled"
    assert "other_plugin" not in sys.modules


async def test_empty_allowlist_loads_only_the_builtins(
    tmp_path, install_plugin, monkeypatch
) -> None:
    install_plugin("good", "good_plugin", GOOD)
    monkeypatch.setenv("BOTKIT_PLUGINS", "")
    async with running(build(tmp_path)) as bot:
        replies = await bot.dm("!goodhello")
    assert replies.text.startswith("Unknown command !goodhello.")


async def test_plugin_cannot_take_the_builtin_name(tmp_path, install_plugin, monkeypatch) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "builtin")
    install_plugin("builtin", "impostor_plugin", GOOD)
    bot = build(tmp_path)
    assert bot.plugins.statuses["builtin"].distribution == "botkit"
    assert "impostor_plugin" not in sys.modules


async def test_plugin_cannot_take_the_permissions_name(
    tmp_path, install_plugin, monkeypatch
) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "permissions")
    install_plugin("permissions", "impostor_rules_plugin", GOOD)
    bot = build(tmp_path)
    assert bot.plugins.statuses["permissions"].distribution == "botkit"
    assert "impostor_rules_plugin" not in sys.modules


async def test_strict_mode_reraises_a_load_failure(tmp_path, install_plugin, monkeypatch) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "broken")
    monkeypatch.setenv("BOTKIT_STRICT_PLUGINS", "1")
    install_plugin("broken", "broken_plugin", BROKEN)
    with pytest.raises(PluginError, match="plugin broken could not be loaded"):
        build(tmp_path, strict=None)


class UnknownHook:
    @botkit.hookimpl
    def botkit_no_such_hook(self) -> None:
        """Not a botkit hook."""


def test_plugin_with_an_unknown_hook_is_an_error(tmp_path) -> None:
    bot = build(tmp_path, extra_plugins=[("odd", UnknownHook())], entry_points=False)
    status = bot.plugins.statuses["odd"]
    assert status.state == "error"
    assert "botkit_no_such_hook" in status.error


# --- runtime hook calls ---


@attrs.define
class Recorder:
    """Records which plugin's hook ran, in order."""

    calls: list[str] = attrs.Factory(list)


def observer(name: str, recorder: Recorder, **marks: bool) -> object:
    class Observer:
        @botkit.hookimpl(**marks)
        def botkit_message_received(self, ctx: Context) -> None:
            recorder.calls.append(name)

    return Observer()


class Exploding:
    @botkit.hookimpl
    def botkit_message_received(self, ctx: Context) -> None:
        raise ZeroDivisionError("observer bug")


async def test_call_all_goes_on_after_an_exception(botkit_harness) -> None:
    seen = Recorder()
    plugins = {"seen": observer("seen", seen), "boom": Exploding()}
    async with botkit_harness(plugins=plugins) as bot:
        await bot.send("hello")
    assert seen.calls == ["seen"]


async def test_call_all_counts_a_failure_on_the_plugin(botkit_harness) -> None:
    async with botkit_harness(plugins={"boom": Exploding()}) as bot:
        await bot.send("hello")
        status = bot.bot.plugins.statuses["boom"]
    assert (status.state, status.failures) == ("ok", 1)


async def test_call_all_logs_the_failing_plugin(botkit_harness, caplog) -> None:
    async with botkit_harness(plugins={"boom": Exploding()}) as bot:
        with caplog.at_level(logging.ERROR, logger="botkit.plugins"):
            await bot.send("hello")
    record = next(r for r in caplog.records if r.name == "botkit.plugins")
    assert record.getMessage() == "plugin boom: botkit_message_received failed"
    assert "ZeroDivisionError: observer bug" in caplog.text


def responder(answer: str | None, started: list[str], **marks: bool) -> object:
    class Responder:
        @botkit.hookimpl(**marks)
        async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str | None:
            started.append(answer or "none")
            return answer

    return Responder()


async def test_call_first_stops_at_the_first_answer(botkit_harness) -> None:
    started: list[str] = []
    plugins = {
        "silent": responder(None, started, tryfirst=True),
        "answers": responder("from answers", started),
        "later": responder("from later", started, trylast=True),
    }
    async with botkit_harness(plugins=plugins) as bot:
        replies = await bot.dm("hello")
    assert replies.text == "from answers"
    assert started == ["none", "from answers"]


class Slow:
    @botkit.hookimpl
    async def botkit_message_received(self, ctx: Context) -> None:
        await asyncio.Event().wait()


async def test_hook_timeout_is_counted_and_the_bot_answers(botkit_harness) -> None:
    config = {"bot": {"hook_timeout": 0.05}}
    async with botkit_harness(plugins={"slow": Slow()}, config=config) as bot:
        replies = await bot.send("!hi")
        status = bot.bot.plugins.statuses["slow"]
    assert replies.text == "HI!"
    assert (status.timeouts, status.failures) == (1, 0)


async def test_tryfirst_and_trylast_order_is_respected(botkit_harness) -> None:
    order = Recorder()
    plugins = {
        "early": observer("early", order, tryfirst=True),
        "plain": observer("plain", order),
        "late": observer("late", order, trylast=True),
    }
    async with botkit_harness(plugins=plugins) as bot:
        await bot.send("hello")
    assert order.calls == ["early", "plain", "late"]


@attrs.define
class ColourSettings:
    colour: str = botkit.setting("red", "a colour")


@attrs.define
class SizeSettings:
    size: int = botkit.setting(3, "a size")


def settings_reader(settings_cls: type, seen: dict[str, object], name: str) -> object:
    class Reader:
        @botkit.hookimpl
        def botkit_settings(self) -> type:
            return settings_cls

        @botkit.hookimpl
        def botkit_message_received(self, ctx: Context) -> None:
            seen[name] = ctx.settings

    return Reader()


async def test_hook_sees_its_own_plugins_settings(botkit_harness) -> None:
    seen: dict[str, object] = {}
    plugins = {
        "paint": settings_reader(ColourSettings, seen, "paint"),
        "shoes": settings_reader(SizeSettings, seen, "shoes"),
    }
    async with botkit_harness(plugins=plugins, config={"paint": {"colour": "blue"}}) as bot:
        await bot.send("hello")
    assert seen == {"paint": ColourSettings("blue"), "shoes": SizeSettings(3)}
