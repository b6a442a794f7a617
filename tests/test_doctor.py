"""``botkit doctor``: what is fine as well as what is not, in words a user can act on."""

from __future__ import annotations

import io
import re
from pathlib import Path

import aiohttp
import attrs
import pytest

import botkit
from botkit.adapters import registry
from botkit.adapters.base import AdapterSetup
from botkit.bot import Bot
from botkit.cli import main
from botkit.config import Config
from botkit.doctor import diagnose
from botkit_testkit.discord import FakeDiscord, Request
from botkit_testkit.openai_server import start_in_subprocess
from botkit_testkit.telegram.server import FakeTelegram

CLOSED_PORT = "http://127.0.0.1:1"
DUMMY_KEY = "sk-doctor-check-not-a-real-key"


@pytest.fixture(scope="module")
def openai_url() -> str:
    """A fake OpenAI server (for the chat and trainer plugins' checks) in a child process."""
    with start_in_subprocess(api_key=DUMMY_KEY) as (_, base_url):
        yield base_url


@pytest.fixture
def healthy(tmp_path, monkeypatch, openai_url, capsys) -> tuple[int, list[str], str]:
    """``botkit doctor`` on a fresh install: every plugin, console only, no tokens, a dummy
    OPENAI_API_KEY; returns the exit status, stdout's lines and stderr."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", DUMMY_KEY)
    config = tmp_path / "botkit.toml"
    config.write_text(
        f'[bot]\ndata_dir = "data"\n\n[openai_chat]\nbase_url = "{openai_url}"\n\n'
        f'[trainer]\nbase_url = "{openai_url}"\nbase_model = "gpt-4o-mini"\n',
        encoding="utf-8",
    )
    status = main(["doctor", "--config", str(config)])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def fine(lines: list[str], subject: str) -> list[str]:
    """The details of the lines about ``subject`` whose state is ok."""
    return [line[20:] for line in lines if line.startswith(f"{subject:<10} ok       ")]


def test_a_healthy_install_exits_0_with_only_the_fine_tuning_date_to_heed(healthy) -> None:
    status, lines, _ = healthy
    warnings = [line for line in lines if line.startswith("warning:")]
    assert (status, lines[-1]) == (0, "0 error(s), 1 warning(s)")
    assert warnings[0].startswith("warning: trainer: provider openai stops taking new fine-tuning")


def test_a_healthy_install_shows_ffmpeg_with_its_version(healthy) -> None:
    [ffmpeg] = fine(healthy[1], "ffmpeg")
    assert re.fullmatch(r"/\S+ffmpeg\S* \(version [^ )]+\)", ffmpeg)
    assert "unknown" not in ffmpeg


def test_a_healthy_install_shows_the_database_and_schemas(healthy, tmp_path) -> None:
    lines = healthy[1]
    assert fine(lines, "database") == [f"sqlite+aiosqlite:///{tmp_path / 'data' / 'botkit.db'}"]
    schemas = fine(lines, "schema")
    assert any(
        re.fullmatch(
            r"trainer: no tables yet \(the first run creates them at "
            r"revision \w+\)",
            s,
        )
        for s in schemas
    )
    assert "none)" not in " ".join(schemas)


def test_a_healthy_install_shows_every_adapter(healthy) -> None:
    lines = healthy[1]
    assert fine(lines, "adapter") == ["console: no token needed"]
    assert "adapter    not set  discord: DISCORD_TOKEN is not set, so it is not used" in lines
    assert "adapter    not set  telegram: TELEGRAM_TOKEN is not set, so it is not used" in lines


def test_a_healthy_install_shows_every_plugin_loaded(healthy) -> None:
    names = [detail.split()[0] for detail in fine(healthy[1], "plugin")]
    assert names == [
        "builtin",
        "permissions",
        "feedback",
        "mcp",
        "openai_chat",
        "piper",
        "trainer",
        "voice",
    ]


def test_a_healthy_install_shows_the_speech_engines(healthy) -> None:
    lines = healthy[1]
    assert fine(lines, "engines") == ["speech-to-text: voice; text-to-speech: voice, piper"]
    assert "voice      info     speech engines working offline here: espeak, whisper, sphinx" in (
        lines
    )


def test_a_healthy_install_writes_nothing_on_stderr(healthy) -> None:
    assert healthy[2] == ""


@attrs.define
class ChatSettings:
    temperature: float = botkit.setting(0.7, "sampling temperature")


CHAT = """
import attrs
import botkit


@attrs.define
class ChatSettings:
    temperature: float = botkit.setting(0.7, "sampling temperature")


@botkit.hookimpl
def botkit_settings():
    return ChatSettings
"""


def test_a_typo_in_a_plugin_section_is_a_problem_named_as_such(
    tmp_path, monkeypatch, install_plugin, capsys
) -> None:
    install_plugin("chat", "chat_plugin", CHAT)
    monkeypatch.setenv("BOTKIT_PLUGINS", "chat")
    monkeypatch.setenv("BOTKIT_DATA_DIR", str(tmp_path / "data"))
    config = tmp_path / "botkit.toml"
    config.write_text("[chat]\ntemprature = 0.2\n", encoding="utf-8")
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert (
        f"ERROR: plugin chat is installed but not loaded: {config}: [chat] temprature is not a "
        "setting (did you mean temperature?)\n"
        f"  fix: correct the [chat] section of {config}, or disable the plugin\n"
    ) in out
    assert "plugin     ERROR    chat 0.1" in out


class Repeating:
    """A health hook whose fix only repeats its message."""

    @botkit.hookimpl
    def botkit_health(self, plugin: botkit.PluginHandle) -> list[botkit.Problem]:
        return [botkit.Problem("check the network", "check the network", "warning")]


async def test_a_fix_that_repeats_the_message_is_not_printed(tmp_path) -> None:
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path / "data")}})
    bot = Bot.build(config, extra_plugins=[("repeating", Repeating())], entry_points=False)
    out = io.StringIO()
    assert await diagnose(bot, out) == 0
    assert "warning: repeating: check the network\n0 error(s), 1 warning(s)\n" in out.getvalue()
    assert "fix:" not in out.getvalue()


def adapter_setup(tmp_path: Path, name: str, token: str, **settings: object) -> AdapterSetup:
    spec = registry.load(name)
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path / "data")}})
    return AdapterSetup(config, spec.settings(**settings), token)


async def unreachable_discord(tmp_path: Path) -> list[botkit.Problem]:
    with FakeDiscord() as fake:

        @fake.route("GET", "/users/@me")
        def unreachable(request: Request, match: object) -> tuple[int, object]:
            raise aiohttp.ClientConnectionError("Cannot connect to host discord.com:443")

        return await registry.load("discord").check(adapter_setup(tmp_path, "discord", fake.token))


async def unreachable_telegram(tmp_path: Path) -> list[botkit.Problem]:
    setup = adapter_setup(
        tmp_path, "telegram", FakeTelegram().token, base_url=CLOSED_PORT, connect_timeout=5.0
    )
    return await registry.load("telegram").check(setup)


@pytest.mark.parametrize(
    ("check", "service"), [(unreachable_discord, "Discord"), (unreachable_telegram, "Telegram")]
)
async def test_an_unreachable_service_is_a_warning_saying_so(tmp_path, check, service) -> None:
    [problem] = [p for p in await check(tmp_path) if "reached" in p.message]
    token = f"{service.upper()}_TOKEN"
    assert problem.severity == "warning"
    assert re.fullmatch(
        rf"{service.lower()}: {service} could not be reached .*, so {token} was not checked",
        problem.message,
    )
    assert problem.fix.startswith("check the network")


async def rejected_discord(tmp_path: Path) -> list[botkit.Problem]:
    with FakeDiscord(reject_token=True) as fake:
        return await registry.load("discord").check(adapter_setup(tmp_path, "discord", fake.token))


async def rejected_telegram(tmp_path: Path) -> list[botkit.Problem]:
    async with FakeTelegram() as fake:
        setup = adapter_setup(
            tmp_path,
            "telegram",
            "987654321:AAWrongTokenWrongTokenWrongToken12345",
            base_url=fake.base_url,
        )
        return await registry.load("telegram").check(setup)


@pytest.mark.parametrize(
    ("check", "service"), [(rejected_discord, "Discord"), (rejected_telegram, "Telegram")]
)
async def test_a_rejected_token_is_an_error(tmp_path, check, service) -> None:
    [problem] = [p for p in await check(tmp_path) if "rejected" in p.message]
    assert problem.severity == "error"
    assert problem.message == f"{service.lower()}: {service} rejected {service.upper()}_TOKEN"
    assert problem.fix and problem.fix not in problem.message
