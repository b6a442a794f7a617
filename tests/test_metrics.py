"""Metrics and health over HTTP: ``[metrics] listen``, scraped after real traffic."""

from __future__ import annotations

import asyncio
import logging
import re
import socket

import aiohttp
import attrs
import pytest
from prometheus_client.parser import text_string_to_metric_families

import botkit
from botkit import Context
from botkit.config import Config, ConfigError
from botkit.testing import ADMIN, MEMBER, RecordingAdapter

LOOPBACK = {"metrics": {"listen": "127.0.0.1:0"}}


@attrs.define
class FlakyAdapter(RecordingAdapter):
    """A recording adapter that can lose its connection."""

    connected: bool = True

    def is_connected(self) -> bool:
        return self.connected


async def boom(ctx: Context) -> str:
    """Fail."""
    raise RuntimeError("boom")


async def slow(ctx: Context) -> str:
    """Take too long."""
    await asyncio.sleep(5)
    return "late"


async def chat(ctx: Context, *, text: str) -> str:
    """Answer, reporting the tokens, queue and jobs a chat plugin would."""
    ctx.plugin.count_tokens(prompt=12, completion=5)
    ctx.plugin.set_queue_depth(3)
    ctx.plugin.set_job_counts({"running": 1, "succeeded": 4})
    return f"you said {text}"


class Tools:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [
            botkit.command(boom),
            botkit.command(slow),
            botkit.command(chat),
            botkit.command(say, cooldown=botkit.Cooldown(1, 30.0)),
        ]

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return f"echo: {text}"


async def say(ctx: Context) -> str:
    """Say hello."""
    return "hello"


async def scrape(bot, path: str = "/metrics") -> tuple[int, str]:
    host, port = bot.bot.metrics.address
    async with aiohttp.ClientSession() as session, session.get(f"http://{host}:{port}{path}") as r:
        return r.status, await r.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def bot(botkit_harness):
    config = {**LOOPBACK, "bot": {"hook_timeout": 0.05}}
    async with botkit_harness(plugins={"tools": Tools()}, config=config) as harness:
        yield harness


async def test_messages_received_and_answered_are_counted(bot) -> None:
    await bot.send("!hi", user=MEMBER)
    await bot.dm("hello there", user=MEMBER)
    await bot.send("just chatting", user=MEMBER)  # not for the bot: received, not answered
    _, text = await scrape(bot)
    assert value(text, "botkit_messages_received_total") == 3
    assert value(text, "botkit_messages_answered_total") == 2


async def test_commands_run_and_refused_are_counted_by_name(bot) -> None:
    await bot.send("!hi", user=MEMBER)
    await bot.send("!hi", user=MEMBER)
    await bot.send("!plugins", user=MEMBER)
    await bot.send("!say", user=MEMBER)
    await bot.send("!say", user=MEMBER)
    await bot.send("!rules add deny command hi server", user=ADMIN)
    await bot.send("!hi", user=MEMBER)
    _, text = await scrape(bot)
    assert value(text, "botkit_commands_run_total", command="hi") == 2
    assert value(text, "botkit_commands_refused_total", command="plugins", reason="permission") == 1
    assert value(text, "botkit_commands_refused_total", command="say", reason="cooldown") == 1
    assert value(text, "botkit_commands_refused_total", command="hi", reason="rule") == 1


async def test_latencies_are_histograms(bot) -> None:
    await bot.send("!hi", user=MEMBER)
    await bot.dm("hello", user=MEMBER)
    _, text = await scrape(bot)
    assert value(text, "botkit_command_seconds_count", command="hi") == 1
    assert value(text, "botkit_command_seconds_bucket", command="hi", le="+Inf") == 1
    assert value(text, "botkit_answer_seconds_count") == 1


async def test_plugin_failures_and_timeouts_by_plugin_and_hook(bot) -> None:
    await bot.send("!boom", user=MEMBER)
    await bot.send("!slow", user=MEMBER)
    _, text = await scrape(bot)
    labels = {"plugin": "tools"}
    assert value(text, "botkit_plugin_failures_total", hook="command boom", kind="error", **labels)
    assert value(
        text, "botkit_plugin_failures_total", hook="command slow", kind="timeout", **labels
    )


async def test_what_plugins_report(bot) -> None:
    await bot.send("!chat hi", user=MEMBER)
    await bot.send("!chat again", user=MEMBER)
    _, text = await scrape(bot)
    assert value(text, "botkit_chat_tokens_total", plugin="tools", kind="prompt") == 24
    assert value(text, "botkit_chat_tokens_total", plugin="tools", kind="completion") == 10
    assert value(text, "botkit_queue_depth", plugin="tools", queue="voice") == 3
    assert value(text, "botkit_jobs", plugin="tools", state="succeeded") == 4


async def test_event_loop_lag_is_exported(bot) -> None:
    _, text = await scrape(bot)
    assert ("botkit_event_loop_lag_seconds", ()) in samples(text)
    assert value(text, "botkit_event_loop_lag_seconds") >= 0


async def test_healthz_is_200_while_ready_and_connected(bot) -> None:
    assert await scrape(bot, "/healthz") == (200, "ok\n")


async def test_healthz_is_503_when_the_adapter_disconnects(botkit_harness) -> None:
    adapter = FlakyAdapter()
    async with botkit_harness(config=LOOPBACK, adapter=adapter) as bot:
        adapter.connected = False
        assert await scrape(bot, "/healthz") == (503, "disconnected\n")
        _, text = await scrape(bot)
        assert value(text, "botkit_ready") == 0
        adapter.connected = True
        assert await scrape(bot, "/healthz") == (200, "ok\n")


async def test_healthz_is_503_while_the_bot_is_not_ready(bot) -> None:
    bot.bot.ready.clear()
    assert await scrape(bot, "/healthz") == (503, "not ready\n")


async def test_the_server_stops_with_the_bot(botkit_harness) -> None:
    async with botkit_harness(config=LOOPBACK) as bot:
        host, port = bot.bot.metrics.address
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session:
            await session.get(f"http://{host}:{port}/healthz")


async def test_metrics_are_off_by_default(botkit_harness) -> None:
    async with botkit_harness(plugins={"tools": Tools()}) as bot:
        assert bot.bot.metrics.address is None
        assert (await bot.send("!chat hi", user=MEMBER)).text == "you said hi"


async def test_a_port_in_use_is_logged_and_the_bot_runs(botkit_harness, caplog) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = {"metrics": {"listen": f"127.0.0.1:{port}"}}
        with caplog.at_level(logging.ERROR, "botkit.metrics"):
            async with botkit_harness(config=config) as bot:
                assert (await bot.send("!hi")).text == "HI!"
    assert f"metrics cannot listen on 127.0.0.1:{port}" in caplog.text


@pytest.mark.parametrize("listen", ["9108", "localhost", "127.0.0.1:http", "127.0.0.1:70000"])
def test_a_bad_listen_address_is_a_config_error(listen: str) -> None:
    with pytest.raises(
        ConfigError, match=re.escape("listen must be host:port, e.g. 127.0.0.1:9108")
    ):
        Config.from_dict({"metrics": {"listen": listen}})


def test_the_environment_sets_the_listen_address(monkeypatch) -> None:
    monkeypatch.setenv("BOTKIT_METRICS_LISTEN", "0.0.0.0:9108")
    config = Config.from_dict({"metrics": {"listen": "127.0.0.1:9000"}})
    assert config.metrics.listen == "0.0.0.0:9108"
