"""A command's concurrency limit: how many runs may be under way at once, per bucket."""

from __future__ import annotations

import asyncio

import pytest

import botkit
from botkit import Concurrency, Context


class Slow:
    """``!render`` runs until the test lets it finish."""

    def __init__(self, bucket: str = "user") -> None:
        self.bucket = bucket
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def render(ctx: Context) -> str:
            self.started.set()
            await self.release.wait()
            return "rendered"

        return [botkit.command(render, concurrency=Concurrency(1, self.bucket))]


async def test_a_second_run_while_the_first_is_under_way_is_refused(botkit_harness) -> None:
    slow = Slow()
    async with botkit_harness(plugins={"slow": slow}) as bot:
        first = asyncio.create_task(bot.send("!render", user=bot.member))
        await slow.started.wait()
        second = await bot.send("!render", user=bot.member)
        slow.release.set()
        await first
    assert second.text == "!render is already running for you; try again when it has finished."
    assert [s.text for s in bot.adapter.sent] == [second.text, "rendered"]


async def test_the_limit_counts_per_user(botkit_harness) -> None:
    slow = Slow()
    async with botkit_harness(plugins={"slow": slow}) as bot:
        first = asyncio.create_task(bot.send("!render", user=bot.member))
        await slow.started.wait()
        other = asyncio.create_task(bot.send("!render", user=bot.admin))
        await asyncio.sleep(0)
        slow.release.set()
        await asyncio.gather(first, other)
    assert [s.text for s in bot.adapter.sent] == ["rendered", "rendered"]


async def test_a_server_bucket_counts_everyone_in_the_server(botkit_harness) -> None:
    slow = Slow("server")
    async with botkit_harness(plugins={"slow": slow}) as bot:
        first = asyncio.create_task(bot.send("!render", user=bot.member))
        await slow.started.wait()
        other = await bot.send("!render", user=bot.admin)
        slow.release.set()
        await first
    assert other.text.endswith("is already running in this server; try again when it has finished.")


async def test_the_command_runs_again_once_the_first_has_finished(botkit_harness) -> None:
    slow = Slow()
    slow.release.set()
    async with botkit_harness(plugins={"slow": slow}) as bot:
        await bot.send("!render", user=bot.member)
        assert (await bot.send("!render", user=bot.member)).text == "rendered"


async def test_a_failing_run_frees_its_place(botkit_harness) -> None:
    class Failing:
        @botkit.hookimpl
        def botkit_commands(self) -> list[botkit.Command]:
            async def boom(ctx: Context) -> str:
                raise RuntimeError("broken")

            return [botkit.command(boom, concurrency=Concurrency(1))]

    async with botkit_harness(plugins={"failing": Failing()}) as bot:
        await bot.send("!boom", user=bot.member)
        again = await bot.send("!boom", user=bot.member)
    assert again.text == "!boom failed; the details are in the bot's log."


def test_a_limit_needs_a_known_bucket_and_at_least_one_run() -> None:
    with pytest.raises(ValueError, match="per user, channel, server"):
        Concurrency(1, "guild")
    with pytest.raises(ValueError, match="at least 1 run"):
        Concurrency(0)
