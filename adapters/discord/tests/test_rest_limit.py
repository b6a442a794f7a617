"""Discord's global REST limit shared by the processes of one bot without a REST proxy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botkit_discord import DiscordAdapter, DiscordSettings
from botkit_discord.rest_limit import GLOBAL_PER_SECOND, RestBucket, RestShare
from discord.http import Route
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.bot import Bot
from botkit.config import Config
from botkit_testkit.discord import DiscordHarness, FakeDiscord, run_harness
from botkit_testkit.discord.server import serve_fake

LEASE = 1.5  # seconds
PG = "postgresql+asyncpg://bot@db/bot"


class FakeClock:
    """Time that moves only when someone sleeps, or the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def granted(per_second: int, arrivals: list[float]) -> list[float]:
    """The times at which requests arriving at ``arrivals`` (seconds from the start, one
    after another) are let through."""
    clock = FakeClock()
    bucket = RestBucket(per_second, clock=clock, sleep=clock.sleep)
    start, times = clock.now, []

    async def run() -> None:
        for at in arrivals:
            clock.now = max(clock.now, start + at)
            await bucket.take()
            times.append(clock.now)

    asyncio.run(run())
    return times


def test_a_burst_up_to_the_share_goes_at_once() -> None:
    assert granted(3, [0.0, 0.0, 0.0]) == [1000.0, 1000.0, 1000.0]


def test_a_request_over_the_share_waits_until_the_first_token_comes_back() -> None:
    assert granted(2, [0.0, 0.25, 0.5]) == [1000.0, 1000.25, 1001.0]


@settings(max_examples=200, deadline=None)
@given(
    per_second=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=1, max_size=150),
)
def test_no_window_of_one_second_holds_more_than_the_share(
    per_second: int, gaps: list[float]
) -> None:
    arrivals = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    times = granted(per_second, arrivals)
    assert times == sorted(times)
    assert all(t >= 1000.0 + at for t, at in zip(times, arrivals, strict=True))
    for first, later in zip(times, times[per_second:], strict=False):
        assert first <= later - 1.0, (first, later)  # the (share + 1)th is a second later


def test_the_share_is_the_global_limit_divided_by_the_processes_alive() -> None:
    share = RestShare()
    assert share.per_second is None  # alone, or behind a proxy: not limited here
    share.share_among(2)
    assert share.per_second == GLOBAL_PER_SECOND // 2
    share.share_among(3)
    assert share.per_second == 16  # never more than the whole limit together
    share.share_among(1)
    assert share.per_second == GLOBAL_PER_SECOND


async def _start(
    stack: contextlib.AsyncExitStack, fake: FakeDiscord, url: str, data: Path, **discord: Any
) -> DiscordHarness:
    raw = {
        "bot": {"data_dir": str(data), "typing_delay": 0},
        "storage": {"url": url},
        "discord": {
            "guild_ready_timeout": 0.0,
            "shard_count": fake.shards,
            "lease_seconds": LEASE,
            **discord,
        },
    }
    bot = Bot.build(Config.from_dict(raw), entry_points=False)
    return await stack.enter_async_context(run_harness(bot, fake, identify_window=0.2))


@pytest.fixture
async def stack() -> AsyncIterator[contextlib.AsyncExitStack]:
    async with contextlib.AsyncExitStack() as stack:
        yield stack


async def until_shares(harnesses: list[DiscordHarness], expected: int) -> None:
    async with asyncio.timeout(10 * LEASE):
        while any(h.adapter.rest_share.per_second != expected for h in harnesses):  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@pytest.mark.timeout(60)
async def test_two_leased_processes_on_one_database_each_take_half(
    stack, postgres_url: str, tmp_path: Path
) -> None:
    fake = FakeDiscord(shards=2)
    processes = [
        await _start(stack, fake, postgres_url, tmp_path / f"p{i}", shard_ids="leased")
        for i in range(2)
    ]
    await until_shares(processes, GLOBAL_PER_SECOND // 2)


@pytest.mark.timeout(60)
async def test_fixed_shards_split_over_two_processes_each_take_half(
    stack, postgres_url: str, tmp_path: Path
) -> None:
    fake = FakeDiscord(shards=2)
    processes = [
        await _start(stack, fake, postgres_url, tmp_path / f"p{i}", shard_ids=[i]) for i in range(2)
    ]
    await until_shares(processes, GLOBAL_PER_SECOND // 2)


@pytest.mark.timeout(60)
async def test_behind_a_rest_proxy_botkit_limits_nothing(
    stack, postgres_url: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(Route, "BASE", Route.BASE)  # restored afterwards
    fake = FakeDiscord(shards=2)
    proxy = "http://nirn-proxy:8080/api/v10"
    processes = [
        await _start(
            stack, fake, postgres_url, tmp_path / f"p{i}", shard_ids="leased", api_base=proxy
        )
        for i in range(2)
    ]
    await asyncio.sleep(LEASE)  # a heartbeat round or two
    assert [h.adapter.rest_share.per_second for h in processes] == [None, None]


async def test_the_adapter_s_requests_over_the_share_wait_for_the_next_second(monkeypatch) -> None:
    fake = FakeDiscord()
    adapter = DiscordAdapter(fake.token, DiscordSettings(shard_count=2, shard_ids="leased"), PG)
    share = adapter.rest_share
    share.share_among(GLOBAL_PER_SECOND // 2)  # two requests a second
    assert share.bucket is not None
    clock = FakeClock()
    share.bucket.clock, share.bucket.sleep = clock, clock.sleep
    async with serve_fake(fake) as server:
        monkeypatch.setattr(Route, "BASE", server.api_base)  # straight to "Discord", no proxy
        http = adapter.client.http
        try:
            await http.static_login(fake.token)  # one request
            await http.get_bot_gateway()
            await http.get_bot_gateway()
        finally:
            await http.close()
    assert [r.path for r in fake.requests][-3:] == ["/users/@me", "/gateway/bot", "/gateway/bot"]
    assert clock.now == 1001.0  # the third waited a second for the first one's token
