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
import re
import socket
import uuid
from collections.abc import AsyncIterator, Callable

import aiohttp
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
SLACK = 1.0  # seconds: identifies are timed on arrival at the fake (a loaded machine delays
# one), slots in the database; without the shared limiter they come milliseconds apart
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
    web_channel: int  # a channel of a server the web console's process did not serve
    web_seen: float  # seconds from the console's change until that server's process showed it


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Run]:
    """Three processes start (the first with the web console on) and divide the shards; a
    setting of a server the first does not serve is changed in its web console; then the one
    serving shard 0 takes a !config change for its server and is killed with SIGKILL, and the
    other two take its shards over."""
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
                port = free_port()
                web = await processes.start(0, {"web": {"listen": f"127.0.0.1:{port}"}})
                for n in range(1, PROCESSES):
                    await processes.start(n)
                await until(lambda: fake.serving() == all_served, 60, processes)
                before = await processes.holders()
                elsewhere = next(c for s, c in enumerate(channels) if s and before[s] != web.pid)
                web_seen = await change_through_web(processes, port, elsewhere)
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
                yield Run(
                    fake,
                    channels,
                    processes,
                    before,
                    after,
                    victim,
                    answer,
                    recovery,
                    elsewhere,
                    web_seen,
                )
            finally:
                await processes.stop()
    finally:
        _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def change_through_web(processes: BotProcesses, port: int, channel: int) -> float:
    """Set feedback's system_prompt of ``channel``'s server in process 0's web console (signed
    in with ``botkit web-login``); the seconds until that server's own process shows it."""
    fake = processes.server.fake
    link = (await processes.cli(0, "web-login")).split()[-1]
    base, space = f"http://127.0.0.1:{port}", str(fake.channels[channel].guild_id)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as web:
        async with web.post(f"{base}/login", data={"token": link.rsplit("/", 1)[1]}) as r:
            assert r.status == 200, await r.text()
        async with web.get(f"{base}/s/{space}/plugins/feedback") as r:
            match = re.search(r'name="csrf" value="([^"]+)"', await r.text())
        assert match, "no form on the console's settings page"
        form = {"csrf": match[1], "key": "system_prompt", "value": "be kind"}
        async with web.post(f"{base}/s/{space}/plugins/feedback/config", data=form) as r:
            page = await r.text()
    loop = asyncio.get_running_loop()
    changed = loop.time()
    assert "be kind" in page, page
    while "be kind" not in await ask(fake, channel, "!config feedback"):
        assert loop.time() - changed < 5, "the change never reached the serving process"
    return loop.time() - changed


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


async def test_a_change_in_one_process_s_web_console_is_served_by_another_within_a_second(
    cluster: Run,
) -> None:
    assert cluster.web_seen < 1.0
    assert "be kind" in await ask(cluster.fake, cluster.web_channel, "!config feedback")
