"""Adapters are found through the ``botkit.adapters`` entry points, and chosen by token."""

from __future__ import annotations

import json

import pytest

from botkit.adapters import registry
from botkit.cli import main

ECHO = '''
"""A third-party adapter: plays its script of lines, prints what the bot sends."""

import attrs

import botkit
from botkit.adapter import Channel, ChannelKind, Message, Sent, User


@attrs.define
class EchoSettings:
    script: list[str] = botkit.setting(["!hi"], "lines to play")


class Echo:
    name = "echo"
    text_limit = 500
    can_edit = False
    bot_user_id = "echo-bot"
    voice = None
    voice_notes = False

    def __init__(self, lines):
        self.lines = lines
        self.sent = 0

    async def connect(self, bot):
        self.bot = bot

    async def run(self):
        user = User("7", "someone", is_owner=True)
        channel = Channel("echo", kind=ChannelKind.DM)
        for i, line in enumerate(self.lines):
            await self.bot.handle(Message(str(i), line, user, channel))

    async def close(self):
        pass

    async def send(self, channel, text, files, reply_to):
        print(f"echo> {text}")
        self.sent += 1
        return Sent(str(self.sent), channel.id, text)

    async def edit(self, sent, text):
        return sent

    async def fetch_message(self, channel, message_id):
        return None

    def typing(self, channel):
        import contextlib

        return contextlib.nullcontext()


class Spec:
    name = "echo"
    settings = EchoSettings
    token_env = "ECHO_TOKEN"

    def create(self, setup):
        return Echo(setup.settings.script)

    async def check(self, setup):
        return [botkit.Problem("echo: the token is only pretend", severity="warning")]

    async def sync(self, setup, commands):
        return f"echo knows {len(commands)} commands"


adapter = Spec()
'''


@pytest.fixture
def quiet(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BOTKIT_PLUGINS", "")
    monkeypatch.setenv("BOTKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "TELEGRAM_TOKEN", "ECHO_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_console_is_the_default_without_tokens(quiet) -> None:
    assert registry.default_name() == "console"


def test_discord_is_chosen_when_its_token_is_set(quiet, monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "x" * 30)
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    assert registry.default_name() == "discord"


def test_telegram_is_chosen_when_only_its_token_is_set(quiet, monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    assert registry.default_name() == "telegram"


def test_an_unknown_adapter_is_named_with_the_installed_ones(quiet, capsys) -> None:
    assert main(["run", "--adapter", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("botkit: no adapter 'nope' is installed (installed: console, discord")


def test_a_third_party_adapter_runs_with_no_host_change(quiet, install_plugin, capsys) -> None:
    install_plugin("echo", "echo_adapter", ECHO, group="botkit.adapters")
    assert main(["run", "--adapter", "echo"]) == 0
    assert capsys.readouterr().out == "echo> HI!\n"


def test_a_third_party_adapter_reads_its_own_section(
    quiet, install_plugin, tmp_path, capsys
) -> None:
    install_plugin("echo", "echo_adapter", ECHO, group="botkit.adapters")
    config = tmp_path / "botkit.toml"
    config.write_text('[echo]\nscript = ["!hi", "!hi"]\n', encoding="utf-8")
    assert main(["run", "--adapter", "echo", "--config", str(config)]) == 0
    assert capsys.readouterr().out == "echo> HI!\necho> HI!\n"


def test_a_third_party_adapter_is_chosen_by_its_token(quiet, install_plugin, monkeypatch) -> None:
    install_plugin("echo", "echo_adapter", ECHO, group="botkit.adapters")
    monkeypatch.setenv("ECHO_TOKEN", "pretend")
    assert registry.default_name() == "echo"


def test_listing_and_doctor_include_third_party_adapters(
    quiet, install_plugin, monkeypatch, capsys
) -> None:
    install_plugin("echo", "echo_adapter", ECHO, group="botkit.adapters")
    assert main(["plugins", "list", "--json"]) == 0
    adapters = json.loads(capsys.readouterr().out)["adapters"]
    (echo,) = [a for a in adapters if a["name"] == "echo"]
    assert (echo["state"], echo["token_env"]) == ("available", "ECHO_TOKEN")
    monkeypatch.setenv("ECHO_TOKEN", "pretend")
    assert main(["doctor"]) == 0
    assert "warning: echo: the token is only pretend" in capsys.readouterr().out


def test_sync_goes_to_the_chosen_adapter(quiet, install_plugin, capsys) -> None:
    install_plugin("echo", "echo_adapter", ECHO, group="botkit.adapters")
    assert main(["sync", "--adapter", "echo"]) == 0
    assert capsys.readouterr().out.startswith("echo knows ")


def test_a_broken_adapter_is_listed_as_an_error(quiet, install_plugin, capsys) -> None:
    install_plugin("bad", "bad_adapter", "raise SystemExit(3)\n", group="botkit.adapters")
    assert main(["plugins", "list", "--json"]) == 0
    adapters = json.loads(capsys.readouterr().out)["adapters"]
    (bad,) = [a for a in adapters if a["name"] == "bad"]
    assert (bad["state"], bad["error"]) == ("error", "SystemExit: 3")
