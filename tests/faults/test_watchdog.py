"""The event-loop watchdog: lag figures, and the plugin call that held the loop, named."""

from __future__ import annotations

import io
import logging

import pytest
from fault_plugins import FakeClock

import botkit
from botkit.adapters.console import ConsoleAdapter
from botkit.bot import Bot
from botkit.config import Config
from botkit.runner import run_bot
from botkit.testing import MEMBER
from botkit.watchdog import Watchdog


def late_sleep(clock: FakeClock, late: float):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds + late)

    return sleep


async def test_a_heartbeat_records_how_late_the_loop_woke() -> None:
    clock = FakeClock()
    dog = Watchdog(clock=clock, sleep=late_sleep(clock, 0.75), interval=0.5, threshold=0.25)
    assert await dog.tick() == pytest.approx(0.75)
    figures = dog.figures()
    assert (figures.samples, figures.stalls) == (1, 1)
    assert figures.max == pytest.approx(0.75)


async def test_the_mean_lag_is_over_every_heartbeat() -> None:
    clock = FakeClock()
    dog = Watchdog(clock=clock, sleep=late_sleep(clock, 0.1), interval=0.5)
    for _ in range(4):
        await dog.tick()
    assert dog.figures().mean == pytest.approx(0.1)
    assert dog.figures().stalls == 0


async def test_lag_outside_any_plugin_call_is_logged_as_such(caplog) -> None:
    clock = FakeClock()
    dog = Watchdog(clock=clock, sleep=late_sleep(clock, 2.0))
    with caplog.at_level(logging.WARNING, "botkit.watchdog"):
        await dog.tick()
    assert "the event loop ran 2.00 s late (not inside a plugin call)" in caplog.text


def test_a_quick_call_is_not_counted() -> None:
    held = []
    dog = Watchdog(clock=FakeClock(), on_held=lambda *args: held.append(args))
    assert dog.call("quick", "botkit_models", lambda: ["a"]) == ["a"]
    assert held == []


class Caller:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def ask(ctx: botkit.Context) -> str:
            """Ask the other plugins for knowledge."""
            found = await ctx.plugin.call_all("botkit_knowledge", ctx=ctx, text="x")
            return f"{len(found)} answers"

        return [botkit.command(ask)]


class SlowKnowledge:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    @botkit.hookimpl
    async def botkit_knowledge(self, ctx: botkit.Context, text: str) -> list[str]:
        self.clock.advance(5.0)  # blocking inside an async def holds the loop
        return ["slow but sure"]


async def test_time_in_another_plugins_hook_is_that_plugins_not_the_callers(fault_bot) -> None:
    clock = FakeClock()
    plugins = {"caller": Caller(), "slow": SlowKnowledge(clock)}
    async with fault_bot(plugins, clock=clock) as bot:
        assert (await bot.send("!ask", user=MEMBER)).text == "1 answers"
        statuses = bot.bot.plugins.statuses
    assert (statuses["slow"].slow_calls, statuses["caller"].slow_calls) == (1, 0)


class Probe:
    """A command that says whether the watchdog runs while the bot serves."""

    bot: Bot

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def watched(ctx: botkit.Context) -> str:
            """Say whether the watchdog runs."""
            return "watched" if self.bot.plugins.watchdog.running else "unwatched"

        return [botkit.command(watched)]


async def test_the_runner_starts_the_watchdog_and_stops_it(tmp_path) -> None:
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path / "data")}})
    probe = Probe()
    bot = Bot.build(config, extra_plugins=[("probe", probe)], entry_points=False)
    probe.bot = bot
    out = io.StringIO()
    await run_bot(bot, ConsoleAdapter(config.data_dir, stdin=io.StringIO("!watched\n"), stdout=out))
    assert out.getvalue() == "watched\n"
    assert not bot.plugins.watchdog.running
