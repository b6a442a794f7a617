"""A process cut from the database closes its shards before another process claims them:
the close and the claim compared in time, on one embedded PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from botkit.bot import Bot
from botkit.config import Config
from botkit_testkit.discord import DiscordHarness, FakeDiscord, run_harness
from botkit_testkit.postgres import _admin

LEASE = 1.5  # seconds
pytestmark = pytest.mark.timeout(120)


async def start(
    stack: contextlib.AsyncExitStack, fake: FakeDiscord, url: str, data: Path
) -> DiscordHarness:
    raw = {
        "bot": {"data_dir": str(data), "typing_delay": 0},
        "storage": {"url": url},
        "discord": {
            "guild_ready_timeout": 0.0,
            "shard_count": fake.shards,
            "shard_ids": "leased",
            "lease_seconds": LEASE,
        },
    }
    bot = Bot.build(Config.from_dict(raw), entry_points=False)
    return await stack.enter_async_context(run_harness(bot, fake, identify_window=0.2))


async def until(check, within: float) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - state spread over two adapters and a database
            await asyncio.sleep(0.01)


async def test_a_cut_process_closes_its_shards_before_the_other_claims_them(
    postgres_url: str, tmp_path: Path
) -> None:
    base = make_url(postgres_url)
    _admin(base, "CREATE ROLE partitioned LOGIN SUPERUSER")
    fake = FakeDiscord(shards=2)
    for shard in range(2):
        fake.add_guild(shard=shard, shard_count=2)
    async with contextlib.AsyncExitStack() as stack:
        cut_url = base.set(username="partitioned").render_as_string(hide_password=False)
        cut = await start(stack, fake, cut_url, tmp_path / "cut")
        await until(lambda: fake.serving() == {0: 1, 1: 1}, 10 * LEASE)
        other = await start(stack, fake, postgres_url, tmp_path / "other")
        cut_leases, other_leases = cut.adapter.leases, other.adapter.leases
        assert cut_leases is not None and other_leases is not None
        assert sorted(cut_leases.held) == [0, 1] and other_leases.held == {}
        closed: dict[int, float] = {}
        stop = cut_leases._stop_shard

        async def stop_and_note(shard_id: int) -> None:
            await stop(shard_id)
            closed[shard_id] = time.monotonic()  # the clock ShardLeases.claimed_at uses

        cut_leases._stop_shard = stop_and_note  # type: ignore[method-assign]
        _admin(
            base,
            "ALTER ROLE partitioned NOLOGIN",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'partitioned'",
        )
        await until(lambda: sorted(other_leases.held) == [0, 1], 10 * LEASE)
        claimed = dict(other_leases.claimed_at)
        await until(lambda: fake.serving() == {0: 1, 1: 1}, 10 * LEASE)
    assert sorted(closed) == [0, 1]
    for shard in (0, 1):
        assert closed[shard] < claimed[shard], (shard, closed, claimed)
    assert fake.double_served == []
