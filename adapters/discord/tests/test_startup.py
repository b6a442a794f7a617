"""Starting on Discord: token, intents, gateway failures, sharding, signals, doctor checks."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import aiohttp
import discord
import pytest
from botkit_discord import DiscordSettings, discord_health, discord_login_problems
from botkit_discord import doctor as doctor_module

import botkit
from botkit.bot import Bot
from botkit.config import Config, ConfigError
from botkit_testkit.discord import FakeDiscord, Request, run_discord

MINIMUM_INTENTS = (1 << 0) | (1 << 7) | (1 << 9) | (1 << 10) | (1 << 12) | (1 << 13)
MESSAGE_CONTENT = 1 << 15


def build_bot(tmp_path, **discord_settings: object) -> Bot:
    raw = {"bot": {"data_dir": str(tmp_path / "data")}, "discord": discord_settings}
    return Bot.build(Config.from_dict(raw), entry_points=False)


async def test_rejected_token_is_one_line_and_exit_status_1(tmp_path, capsys) -> None:
    with FakeDiscord(reject_token=True) as fake:
        status = await run_discord(build_bot(tmp_path), fake.token)
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("botkit: Discord rejected the token; copy a new token from ")
    assert err.count("\n") == 1 and "Traceback" not in err and fake.token not in err


async def test_unreachable_discord_is_one_line(tmp_path, capsys) -> None:
    with FakeDiscord() as fake:

        @fake.route("GET", "/users/@me")
        def unreachable(request: Request, match: object) -> tuple[int, object]:
            raise aiohttp.ClientConnectionError("Cannot connect to host discord.com:443")

        status = await run_discord(build_bot(tmp_path), fake.token)
    err = capsys.readouterr().err
    assert status == 1
    assert err == "botkit: cannot reach Discord: Cannot connect to host discord.com:443\n"


async def test_unreachable_gateway_is_one_line(tmp_path, capsys) -> None:
    with FakeDiscord(gateway_reachable=False) as fake:
        bot = build_bot(tmp_path, connect_timeout=0.3)
        status = await run_discord(bot, fake.token)
    err = capsys.readouterr().err
    assert status == 1
    assert err == "botkit: cannot reach the Discord gateway within 0.3 s; check the network\n"


async def test_refused_message_content_intent_says_how_to_enable_it(tmp_path, capsys) -> None:
    with FakeDiscord(message_content_enabled=False) as fake:
        status = await run_discord(build_bot(tmp_path), fake.token)
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("botkit: Discord refused the message-content intent; enable ")
    assert "Privileged Gateway Intents" in err and "message_content = false" in err
    assert err.count("\n") == 1


async def test_identify_asks_for_the_minimum_intents(discord_harness) -> None:
    async with discord_harness() as dh:
        (identify,) = [f["d"] for f in dh.fake.gateway_sent if f["op"] == 2]
    assert identify["intents"] == MINIMUM_INTENTS | MESSAGE_CONTENT
    assert "shard" not in identify


async def test_without_message_content_the_startup_log_says_how_to_enable_it(
    discord_harness, caplog
) -> None:
    fake = FakeDiscord(message_content_enabled=False)
    with caplog.at_level(logging.WARNING, "botkit.discord"):
        async with discord_harness(config={"discord": {"message_content": False}}, fake=fake) as dh:
            sent = await dh.message("hi", mention=True, author=dh.member)
            (identify,) = [f["d"] for f in dh.fake.gateway_sent if f["op"] == 2]
    assert identify["intents"] == MINIMUM_INTENTS
    assert "Privileged Gateway Intents" in caplog.text
    assert sent.text == "No chat plugin is installed. See !help."


async def test_message_content_not_enabled_is_warned_before_connecting(tmp_path, caplog) -> None:
    with FakeDiscord(message_content_enabled=False) as fake, caplog.at_level(logging.WARNING):
        await run_discord(build_bot(tmp_path), fake.token)
    assert "the message-content intent is not enabled for this application" in caplog.text


async def test_sharded_process_identifies_its_shard(discord_harness) -> None:
    fake = FakeDiscord()
    ours = (fake.guild_id >> 22) % 2
    config = {"discord": {"shard_count": 2, "shard_ids": [ours]}}
    async with discord_harness(config=config, fake=fake) as dh:
        sent = await dh.message("!hi", author=dh.member)
        client = dh.adapter.client
    (identify,) = [f["d"] for f in fake.gateway_sent if f["op"] == 2]
    assert isinstance(client, discord.AutoShardedClient)
    assert identify["shard"] == [ours, 2]
    assert sent.text == "HI!"


def test_settings_are_checked() -> None:
    config = Config.from_dict({"discord": {"shard_ids": [1]}})
    with pytest.raises(ConfigError, match="shard_ids needs shard_count"):
        config.section("discord", DiscordSettings)
    config = Config.from_dict({"discord": {"shard_count": 2, "shard_ids": [2]}})
    with pytest.raises(ConfigError, match=r"shard_ids \[2\] are outside 0..1"):
        config.section("discord", DiscordSettings)
    config = Config.from_dict({"discord": {"sync_guild_ids": ["my server"]}})
    with pytest.raises(ConfigError, match="sync_guild_ids must hold server ids"):
        config.section("discord", DiscordSettings)


async def test_token_never_logged(discord_harness, caplog) -> None:
    fake = FakeDiscord()
    with caplog.at_level(logging.DEBUG):
        async with discord_harness(fake=fake) as dh:
            await dh.message("!hi", author=dh.member)
            await dh.slash("hi", author=dh.member)
    assert "POST" in caplog.text  # discord.py's debug lines were captured
    assert fake.token not in caplog.text


class Started:
    """Tells the test when the bot has started."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    @botkit.hookimpl
    def botkit_startup(self, plugin: botkit.PluginHandle) -> None:
        self.event.set()


async def test_sigterm_stops_cleanly(tmp_path) -> None:
    started = Started()
    raw = {"bot": {"data_dir": str(tmp_path / "data")}, "discord": {"guild_ready_timeout": 0}}
    bot = Bot.build(Config.from_dict(raw), extra_plugins=[("started", started)], entry_points=False)
    with FakeDiscord() as fake:
        running = asyncio.create_task(run_discord(bot, fake.token))
        await started.event.wait()
        await bot.adapter.ready.wait()
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        os.kill(os.getpid(), signal.SIGTERM)
        status = await asyncio.wait_for(running, 10)
    assert status == 0
    assert fake.open_sockets() == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_health_reports_missing_voice_libraries(monkeypatch) -> None:
    monkeypatch.setattr(discord.voice_client, "has_nacl", False)
    monkeypatch.setattr(discord.voice_state, "has_dave", False)
    (problem,) = discord_health()
    assert problem.message == "discord: voice needs PyNaCl and davey, not installed"
    assert problem.fix == 'pip install "discord.py[voice]"' and problem.severity == "error"


def test_health_reports_missing_ffmpeg_and_intent(monkeypatch) -> None:
    monkeypatch.setattr(doctor_module, "ffmpeg_executable", lambda: None)
    problems = discord_health(DiscordSettings(message_content=False))
    assert [p.severity for p in problems] == ["warning", "warning"]
    assert "no ffmpeg" in problems[0].message
    assert "message_content = false" in problems[1].message


def test_health_is_clean_when_all_is_there() -> None:
    assert discord_health() == []


async def test_login_check_for_doctor() -> None:
    with (
        FakeDiscord() as fine,
        FakeDiscord(reject_token=True) as rejected,
        FakeDiscord(message_content_enabled=False) as no_intent,
    ):
        assert await discord_login_problems(fine.token) == []
        (bad,) = await discord_login_problems(rejected.token)
        (intent,) = await discord_login_problems(no_intent.token)
        without = DiscordSettings(message_content=False)
        assert await discord_login_problems(no_intent.token, without) == []
    assert bad.message == "discord: Discord rejected DISCORD_TOKEN"
    assert intent.message == "discord: the message-content intent is not enabled for this bot"


def test_doctor_reports_a_rejected_token_without_printing_it(monkeypatch, tmp_path, capsys) -> None:
    from botkit.cli import main

    monkeypatch.setenv("BOTKIT_PLUGINS", "")
    monkeypatch.setenv("BOTKIT_DATA_DIR", str(tmp_path))
    with FakeDiscord(reject_token=True) as fake:
        monkeypatch.setenv("DISCORD_TOKEN", fake.token)
        status = main(["doctor"])
    out = capsys.readouterr().out
    assert status == 1
    assert "Discord rejected DISCORD_TOKEN" in out
    assert fake.token not in out
