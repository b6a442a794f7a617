"""Start-up, the missing key, botkit doctor, settings, and one client per bot."""

from __future__ import annotations

import asyncio
import logging

import pytest
from botkit_openai_chat import ChatPlugin
from conftest import chat_config, chat_state, closed_port

from botkit import Problem
from botkit.plugins import PluginError
from botkit.testing import BotHarness

MISSING = (
    "I cannot chat yet: no API key is set. The bot's owner must put the key in the environment "
    "variable OPENAI_API_KEY and restart the bot (for Ollama, LM Studio or another local server "
    "without keys, any value will do). `botkit doctor` checks it."
)


async def health(bot: BotHarness) -> list[Problem]:
    return [
        p
        for name, found in await bot.call_all("botkit_health")
        for p in found
        if name == "openai_chat"
    ]


async def test_a_missing_key_is_explained_clearly(chat_bot, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    async with chat_bot() as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == MISSING


async def test_a_missing_key_is_explained_once(chat_bot, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    async with chat_bot() as bot:
        await bot.send("hi", mention=True)
        replies = await bot.send("hello?", mention=True)
    assert replies.text == "Chat is off until the bot's owner sets OPENAI_API_KEY."


async def test_a_missing_key_is_one_warning_saying_how_to_add_one(
    chat_bot, monkeypatch, caplog
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    caplog.set_level(logging.WARNING)
    async with chat_bot() as bot:
        await bot.send("hi", mention=True)
        await bot.send("hello?", mention=True)
    assert [(r.levelname, r.exc_info, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            None,
            "openai_chat: no API key, so the bot cannot chat yet; add one with "
            "`export OPENAI_API_KEY=...` (any value for a local server) or write a botkit.toml "
            "with `botkit init`, then restart",
        )
    ]


async def test_doctor_reports_a_missing_key(chat_bot, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    async with chat_bot() as bot:
        problems = await health(bot)
    assert problems == [
        Problem(
            "the environment variable OPENAI_API_KEY is not set, so the bot cannot chat",
            "export OPENAI_API_KEY=<your API key> (a local server without keys takes any value)",
        )
    ]


async def test_doctor_finds_nothing_wrong_with_a_working_server(chat_bot) -> None:
    async with chat_bot() as bot:
        assert await health(bot) == []


async def test_doctor_reports_a_rejected_key(chat_bot, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    async with chat_bot() as bot:
        problems = await health(bot)
    assert [p.message for p in problems] == ["127.0.0.1 rejected the key in OPENAI_API_KEY"]


async def test_doctor_warns_about_an_unreachable_server(chat_bot) -> None:
    async with chat_bot(base_url=f"http://127.0.0.1:{closed_port()}/v1") as bot:
        problems = await health(bot)
    assert [(p.message, p.severity) for p in problems] == [("cannot reach 127.0.0.1", "warning")]


async def test_a_wrong_setting_stops_the_plugin_with_its_name(botkit_harness, server) -> None:
    config = {"openai_chat": chat_config(server, temperature=3.5)}
    with pytest.raises(PluginError, match="temperature must be between 0 and 2"):
        async with botkit_harness(plugins={"openai_chat": ChatPlugin()}, config=config):
            pass


async def test_the_key_variable_is_configurable(chat_bot, monkeypatch, api_key) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("LOCAL_LLM_KEY", api_key)
    async with chat_bot(api_key_env="LOCAL_LLM_KEY") as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == "echo: hi"


async def test_one_client_serves_every_message(chat_bot) -> None:
    async with chat_bot() as bot:
        client = chat_state(bot).client
        await bot.send("one", mention=True)
        await bot.send("two", mention=True)
        assert chat_state(bot).client is client
    assert client.is_closed()


async def test_two_bots_in_one_process_keep_their_own_settings(
    botkit_harness, server, tmp_path
) -> None:
    plugin = ChatPlugin()  # one plugin object, as the entry point registers it in every bot
    first = botkit_harness(
        plugins={"openai_chat": plugin},
        config={"openai_chat": chat_config(server, model="gpt-4o")},
        data_dir=tmp_path / "first",
    )
    second = botkit_harness(
        plugins={"openai_chat": plugin},
        config={"openai_chat": chat_config(server, model="gpt-4o-mini")},
        data_dir=tmp_path / "second",
    )
    async with first as one, second as two:
        await one.send("hi", mention=True)
        await two.send("hi", mention=True)
        assert chat_state(one).client is not chat_state(two).client
    assert [r.json["model"] for r in server.requests] == ["gpt-4o", "gpt-4o-mini"]


async def test_requests_in_flight_never_exceed_the_bound(chat_bot, server) -> None:
    in_flight, peak = 0, 0

    async def slow(body: dict) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return "done"

    server.chat_handler = slow
    async with chat_bot(max_concurrent_requests=2) as bot:
        await asyncio.gather(*(bot.dm(f"q{n}", user=bot.member) for n in range(6)))
    assert peak == 2
    assert [s.text for s in bot.adapter.sent] == ["done"] * 6
