"""Cooldowns and concurrency limits held across processes: two bots on one PostgreSQL database
(each following the other's changes as ``botkit run`` does) count one user's uses together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

import botkit
from botkit import Concurrency, Context, Cooldown
from botkit.cluster import connect, follow_settings
from botkit.limits import PostgresLimits
from botkit.testing import BotHarness, start_harness

pytestmark = pytest.mark.timeout(60)


class Limited:
    """``!say`` once a minute per user; ``!render`` once at a time per user, until released."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def say(ctx: Context, text: str) -> str:
            return f"saying {text}"

        async def render(ctx: Context) -> str:
            self.started.set()
            await self.release.wait()
            return "rendered"

        return [
            botkit.command(say, cooldown=Cooldown(rate=1, per=60.0, bucket="user")),
            botkit.command(render, concurrency=Concurrency(1, "user")),
        ]


@pytest.fixture
async def two_bots(postgres_url: str, tmp_path: Path) -> AsyncIterator[Callable[[], Any]]:
    """Start two bots ("processes") on one database, each with its own Limited plugin."""
    async with contextlib.AsyncExitStack() as stack:

        async def start() -> tuple[BotHarness, Limited, Any]:
            limited = Limited()
            harness = await stack.enter_async_context(
                start_harness(
                    {"limited": limited},
                    config={"storage": {"url": postgres_url}},
                    data_dir=tmp_path / f"bot{len(started)}",
                )
            )
            sync = await follow_settings(harness.bot)
            assert sync is not None
            stack.push_async_callback(sync.close)
            started.append(sync)
            return harness, limited, sync

        started: list[Any] = []
        yield start


async def test_a_cooldown_taken_in_one_process_holds_in_the_other(two_bots) -> None:
    (a, _, _), (b, _, _) = await two_bots(), await two_bots()
    assert (await a.send("!say hi", user=a.member)).text == "saying hi"
    refused = (await b.send("!say hi", user=b.member)).text
    assert refused.startswith("!say is cooling down for you: try again in ")


async def test_another_user_s_cooldown_is_their_own_across_processes(two_bots) -> None:
    (a, _, _), (b, _, _) = await two_bots(), await two_bots()
    assert (await a.send("!say hi", user=a.member)).text == "saying hi"
    assert (await b.send("!say hi", user=b.admin)).text == "saying hi"


async def test_a_run_under_way_in_one_process_is_counted_in_the_other(two_bots) -> None:
    (a, slow, _), (b, _, _) = await two_bots(), await two_bots()
    first = asyncio.create_task(a.send("!render", user=a.member))
    await slow.started.wait()
    refused = (await b.send("!render", user=b.member)).text
    slow.release.set()
    assert (await first).text == "rendered"
    assert refused == "!render is already running for you; try again when it has finished."


async def test_a_finished_run_frees_its_slot_for_the_other_process(two_bots) -> None:
    (a, slow, _), (b, other, _) = await two_bots(), await two_bots()
    slow.release.set()
    other.release.set()
    assert (await a.send("!render", user=a.member)).text == "rendered"
    assert (await b.send("!render", user=b.member)).text == "rendered"


async def test_a_dead_process_s_runs_no_longer_count(two_bots) -> None:
    (a, slow, sync), (b, other, _) = await two_bots(), await two_bots()
    first = asyncio.create_task(a.send("!render", user=a.member))
    await slow.started.wait()
    session = sync.limits._conn.get_server_pid()
    sync.limits._conn.terminate()  # the process dies: its database session ends
    await ended(b.bot.config.storage.url, session)
    other.release.set()
    assert (await b.send("!render", user=b.member)).text == "rendered"
    slow.release.set()
    await first


async def ended(url: str, session: int) -> None:
    """Wait until the database has ended server process ``session``."""
    conn = await connect(url)
    try:
        async with asyncio.timeout(10):
            query = "SELECT count(*) FROM pg_stat_activity WHERE pid = $1"
            while await conn.fetchval(query, session):  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.01)
    finally:
        await conn.close()


async def test_an_unreachable_database_holds_no_command_back_and_says_so(caplog) -> None:
    limits = PostgresLimits("postgresql+asyncpg://bot@127.0.0.1:1/bot")  # nothing listens
    with caplog.at_level(logging.WARNING, "botkit.limits"):
        assert [await limits.take("k", 1, 60.0) for _ in "ab"] == [None, None]
        assert await limits.enter("k", 1)
    assert "limits not shared: the database cannot be reached" in caplog.text
    await limits.close()


async def _answer_once_arrived(harness: BotHarness, text: str, expected: str) -> str:
    """What ``harness`` answers ``text`` once another process's change has arrived (it is
    announced with NOTIFY, so it may take a moment): ``expected``, or the last answer."""
    for _ in range(200):
        answer = (await harness.send(text, user=harness.member)).text
        if answer == expected:
            break
        await asyncio.sleep(0.05)
    return answer


async def test_a_rule_added_in_one_process_refuses_in_the_other(two_bots) -> None:
    (a, _, _), (b, _, _) = await two_bots(), await two_bots()
    assert (await b.send("!hi", user=b.member)).text == "HI!"
    assert (await a.send("!rules add deny command hi server")).text == (
        "Rule added: deny command hi in this server."
    )
    denied = "!hi is disabled in this server."
    assert await _answer_once_arrived(b, "!hi", denied) == denied


async def test_a_cooldown_turned_off_in_one_process_is_off_in_the_other(two_bots) -> None:
    (a, _, _), (b, _, _) = await two_bots(), await two_bots()
    assert (await b.send("!say one", user=b.member)).text == "saying one"
    refused = (await b.send("!say two", user=b.member)).text
    assert refused.startswith("!say is cooling down for you")
    assert (
        await a.send("!rules cooldown say off")
    ).text == "!say has no cooldown in this server now."
    assert await _answer_once_arrived(b, "!say two", "saying two") == "saying two"
