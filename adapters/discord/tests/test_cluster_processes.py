"""Three real ``botkit run`` processes (real CLI, real configuration files) share eight leased
shards through one embedded PostgreSQL, against the fake Discord served over local sockets
(``botkit_testkit.discord.server``): REST through ``[discord] api_base``, the gateway at the
URL ``GET /gateway/bot`` names.

The processes keep Discord's real identify window (5 s per bucket) and real leases (the
database's clock): a short ``lease_seconds`` keeps the wall time small, and only bounds
derived from it are asserted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import attrs
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

from botkit_testkit.discord import FakeDiscord
from botkit_testkit.discord.processes import BotProcesses
from botkit_testkit.discord.server import serve_fake
from botkit_testkit.postgres import _admin

SHARDS = 8
PROCESSES = 3
LEASE = 3.0  # seconds
WINDOW = 5.0  # Discord's identify window per bucket
SLACK = 0.25  # seconds: identifies are timed on arrival at the fake, slots in the database
MAX_CONCURRENCY = 4
all_served = dict.fromkeys(range(SHARDS), 1)
pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio(loop_scope="module")]


@attrs.frozen
class Run:
    """What happened while the cluster started and lost a process."""

    fake: FakeDiscord
    channels: list[int]  # one server's channel on each shard
    processes: BotProcesses
    before: dict[int, int]  # shard id -> holder's pid, once every shard was served
    after: dict[int, int]  # the same once the killed process's shards were served again
    victim: int  # the pid killed (it held shard 0)
    config_answer: str  # its answer to the !config change, just before it was killed
    recovery: float  # seconds from the kill until every shard was served again


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Run]:
    """Three processes start, divide the shards and serve them; then the one serving shard 0
    takes a !config change for its server and is killed with SIGKILL, and the other two take
    its shards over."""
    base = make_url(postgres_server)
    name = f"test_{uuid.uuid4().hex}"
    _admin(base, f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    fake = FakeDiscord(shards=SHARDS, max_concurrency=MAX_CONCURRENCY)
    channels = [fake.add_guild(shard=s, shard_count=SHARDS)[1] for s in range(SHARDS)]
    loop = asyncio.get_running_loop()
    try:
        async with serve_fake(fake) as server:
            discord = {
                "shard_count": SHARDS,
                "shard_ids": "leased",
                "max_shards_per_process": 4,
                "lease_seconds": LEASE,
            }
            processes = BotProcesses(server, url, tmp_path_factory.mktemp("cluster"), discord)
            try:
                for n in range(PROCESSES):
                    await processes.start(n)
                await until(lambda: fake.serving() == all_served, 60, processes)
                before = await processes.holders()
                answer = await ask(fake, channels[0], '!config feedback system_prompt "be brief"')
                last_identify = max(i.at for i in fake.identified)
                await asyncio.sleep(max(0.0, last_identify + WINDOW - loop.time()))
                victim = before[0]
                processes.running[victim].kill()  # SIGKILL: nothing is handed over
                killed_at = loop.time()
                await until(lambda: 0 not in fake.serving(), 5, processes)
                await until(lambda: fake.serving() == all_served, 4 * LEASE, processes)
                recovery = loop.time() - killed_at
                after = await processes.holders()
                yield Run(fake, channels, processes, before, after, victim, answer, recovery)
            finally:
                await processes.stop()
    finally:
        _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def until(check: Callable[[], bool], within: float, processes: BotProcesses) -> float:
    """Poll ``check`` (state spread over processes) until it holds; the seconds it took."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        async with asyncio.timeout(within):
            while not check():  # noqa: ASYNC110 - no single event covers several processes
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"not within {within} s; the processes said:\n{processes.logs()[-4000:]}")
    return loop.time() - began


async def ask(fake: FakeDiscord, channel: int, text: str, within: float = 10.0) -> str:
    """Post ``text`` as the owner in ``channel``; the bot's reply (resent while the shard is
    between processes, whose events Discord would not deliver either)."""
    guild = fake.channels[channel].guild_id
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        event, data = fake.message_event(text, author=fake.owner, channel=channel)
        fake.dispatch(event, data, guild)
        for _ in range(50):
            for request in fake.requests:
                reference = (request.json or {}).get("message_reference") or {}
                if request.route == f"POST /channels/{channel}/messages" and str(
                    reference.get("message_id")
                ) == str(data["id"]):
                    return str(request.json["content"])
            await asyncio.sleep(0.02)
    raise AssertionError(f"no answer to {text!r} in channel {channel} within {within} s")


def busiest(times: list[float]) -> int:
    """The most identifies in any window of Discord's length (less the timing slack)."""
    return max((sum(1 for u in times if t <= u < t + WINDOW - SLACK) for t in times), default=0)


async def test_three_processes_divide_eight_shards(cluster: Run) -> None:
    assert sorted(cluster.before) == list(range(SHARDS))
    assert len(set(cluster.before.values())) >= 2
    assert set(cluster.before.values()) <= set(cluster.processes.running)


async def test_every_server_is_answered_after_a_process_was_killed(cluster: Run) -> None:
    for channel in cluster.channels:
        assert await ask(cluster.fake, channel, "!hi") == "HI!"


async def test_a_killed_process_s_shards_are_served_again_within_two_leases(cluster: Run) -> None:
    assert cluster.recovery < 2 * LEASE
    assert sorted(cluster.after) == list(range(SHARDS))
    assert cluster.victim not in cluster.after.values()
    assert cluster.fake.double_served == []


async def test_identifies_across_processes_keep_one_per_bucket_per_window(cluster: Run) -> None:
    identified = cluster.fake.identified
    assert len(identified) > SHARDS  # the killed process's shards identified again
    for bucket in range(MAX_CONCURRENCY):
        times = [i.at for i in identified if i.shard_id % MAX_CONCURRENCY == bucket]
        assert busiest(times) == 1, (bucket, times)


async def test_a_config_change_through_one_process_is_seen_by_the_next(cluster: Run) -> None:
    assert cluster.config_answer == "[feedback] system_prompt = 'be brief' in this server."
    assert cluster.after[0] != cluster.victim
    assert "be brief" in await ask(cluster.fake, cluster.channels[0], "!config feedback")
