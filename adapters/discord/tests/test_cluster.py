"""Several processes of one bot on leased shards, sharing one PostgreSQL database and one
(fake) Discord: each process is a bot and adapter of its own with its own lease holder.

Leases expire in real time (the database's clock), so these tests use short leases and
assert only bounds derived from them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest
from botkit_discord import DiscordAdapter, DiscordSettings, DiscordStartError
from botkit_discord.doctor import discord_health
from discord.http import Route
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

import botkit
from botkit.bot import Bot
from botkit.config import Config, ConfigError
from botkit_testkit.discord import DiscordHarness, FakeDiscord, run_discord, run_harness
from botkit_testkit.postgres import _admin

LEASE = 1.5  # seconds
WINDOW = 0.4  # seconds between identifies of one bucket (Discord: 5)
pytestmark = pytest.mark.timeout(120)


@attrs.define
class GreeterSettings:
    greeting: str = botkit.setting("hello", "what !greet says", server=True)


class Greeter:
    @botkit.hookimpl
    def botkit_settings(self) -> type:
        return GreeterSettings

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def greet(ctx: botkit.Context) -> str:
            """Say the greeting."""
            return ctx.settings.greeting

        return [botkit.command(greet)]


class Cluster:
    """Processes of one bot against one fake Discord and one database."""

    def __init__(self, fake: FakeDiscord, url: str, tmp_path: Path, **discord: Any) -> None:
        self.fake, self.url, self.tmp_path = fake, url, tmp_path
        self.discord = {"shard_count": fake.shards, "shard_ids": "leased", **discord}
        self.discord.setdefault("lease_seconds", LEASE)
        self.processes: list[DiscordHarness] = []
        self._stack = contextlib.AsyncExitStack()

    async def start(self, url: str | None = None, **sections: Any) -> DiscordHarness:
        raw = {
            **sections,
            "bot": {"data_dir": str(self.tmp_path / f"p{len(self.processes)}"), "typing_delay": 0},
            "storage": {"url": url or self.url},
            "discord": {"guild_ready_timeout": 0.0, **self.discord},
            "greeter": {},
        }
        bot = Bot.build(
            Config.from_dict(raw), extra_plugins=[("greeter", Greeter())], entry_points=False
        )
        harness = await self._stack.enter_async_context(
            run_harness(bot, self.fake, identify_window=WINDOW)
        )
        self.processes.append(harness)
        return harness

    async def close(self) -> None:
        await self._stack.aclose()

    async def served(self, shards: int, within: float) -> float:
        """Wait until every shard has exactly one socket; the seconds it took."""
        return await until(lambda: self.fake.serving() == dict.fromkeys(range(shards), 1), within)

    def holders(self) -> list[list[int]]:
        return [sorted(p.adapter.leases.held) for p in self.processes if p.adapter.leases]


@pytest.fixture
async def cluster(postgres_url: str, tmp_path: Path) -> AsyncIterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(fake: FakeDiscord, **discord: Any) -> Cluster:
        made.append(Cluster(fake, postgres_url, tmp_path, **discord))
        return made[-1]

    yield make
    for c in made:
        await c.close()


async def until(check: Callable[[], bool], within: float) -> float:
    """Poll ``check`` (state spread over processes and a database) until it holds; the
    seconds it took, or TimeoutError after ``within``."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - no single event covers several processes
            await asyncio.sleep(0.01)
    return loop.time() - began


def one_guild_per_shard(fake: FakeDiscord) -> list[int]:
    """A channel in a server on each shard."""
    return [fake.add_guild(shard=s, shard_count=fake.shards)[1] for s in range(fake.shards)]


async def ask(harness: DiscordHarness, channel: int, text: str = "!hi") -> str:
    event, data = harness.fake.message_event(text, author=harness.owner, channel=channel)
    return (await harness.feed(event, data)).text


def crash(harness: DiscordHarness) -> None:
    """The process dies: its gateway sockets drop, nothing is handed over, its leases stay
    in the database until they expire."""
    leases = harness.adapter.leases
    assert leases is not None and leases._task is not None
    leases._task.cancel()
    if leases._fence is not None:
        leases._fence.cancel()
    if leases._conn is not None:
        leases._conn.terminate()
        leases._conn = None
    for shard in harness.adapter.client.shards.values():
        shard._parent.ws.socket.closed = True
    leases.held.clear()


async def test_processes_divide_the_shards_and_every_server_is_answered(cluster) -> None:
    fake = FakeDiscord(shards=4)
    channels = one_guild_per_shard(fake)
    c = cluster(fake, max_shards_per_process=2)
    first = await c.start()
    second = await c.start()
    await c.served(4, within=10 * LEASE)
    assert sorted(len(h) for h in c.holders()) == [2, 2]
    assert sorted(itertools.chain(*c.holders())) == [0, 1, 2, 3]
    for channel in channels:
        assert await ask(first, channel) == "HI!"
    assert fake.double_served == []
    assert {i.socket in second.fake.sockets for i in fake.identified} == {True}


async def scrape(harness: DiscordHarness, path: str) -> tuple[int, str]:
    host, port = harness.bot.metrics.address
    async with aiohttp.ClientSession() as session, session.get(f"http://{host}:{port}{path}") as r:
        return r.status, await r.text()


async def test_healthz_lists_the_shards_each_process_serves(cluster) -> None:
    fake = FakeDiscord(shards=4)
    one_guild_per_shard(fake)
    c = cluster(fake, max_shards_per_process=2)
    processes = [await c.start(metrics={"listen": "127.0.0.1:0"}) for _ in range(2)]
    await c.served(4, within=10 * LEASE)
    for harness, held in zip(processes, c.holders(), strict=True):
        assert await scrape(harness, "/healthz") == (200, f"ok\nshards: {held[0]}, {held[1]}\n")


async def test_healthz_of_a_process_standing_by_says_it_serves_no_shard(cluster) -> None:
    fake = FakeDiscord(shards=2)
    one_guild_per_shard(fake)
    c = cluster(fake)
    await c.start()  # takes both shards
    standby = await c.start(metrics={"listen": "127.0.0.1:0"})
    await c.served(2, within=10 * LEASE)
    assert await scrape(standby, "/healthz") == (200, "ok\nshards: none\n")


async def test_metrics_give_each_served_shard_s_latency_servers_and_lease_age(cluster) -> None:
    fake = FakeDiscord(shards=4)
    one_guild_per_shard(fake)
    c = cluster(fake, max_shards_per_process=2)
    processes = [await c.start(metrics={"listen": "127.0.0.1:0"}) for _ in range(2)]
    await c.served(4, within=10 * LEASE)
    for harness, held in zip(processes, c.holders(), strict=True):
        _status, text = await scrape(harness, "/metrics")
        families = {f.name: f for f in text_string_to_metric_families(text)}
        guilds = {s.labels["shard"]: s.value for s in families["botkit_shard_guilds"].samples}
        assert guilds == {str(s): sum(fake.shard_of(g) == s for g in fake.guild_ids) for s in held}
        for name in ("botkit_shard_latency_seconds", "botkit_shard_lease_age_seconds"):
            values = {s.labels["shard"]: s.value for s in families[name].samples}
            assert sorted(values) == [str(s) for s in held]
            assert all(0 <= v < LEASE for v in values.values()), (name, values)


async def test_a_dead_process_s_shards_are_served_again_within_two_leases(cluster) -> None:
    fake = FakeDiscord(shards=4)
    channels = one_guild_per_shard(fake)
    c = cluster(fake, max_shards_per_process=2)
    for _ in range(3):
        await c.start()
    await c.served(4, within=10 * LEASE)
    victim = next(p for p in c.processes if p.adapter.leases.held)
    lost = sorted(victim.adapter.leases.held)
    crash(victim)
    assert set(fake.serving()) == {0, 1, 2, 3} - set(lost)
    took = await c.served(4, within=4 * LEASE)
    assert took <= 2 * LEASE
    survivor = next(p for p in c.processes if p is not victim)
    for channel in channels:
        assert await ask(survivor, channel) == "HI!"
    assert fake.double_served == []


async def test_identifies_never_exceed_one_per_window_per_bucket(cluster) -> None:
    fake = FakeDiscord(shards=6, max_concurrency=2)
    c = cluster(fake, max_shards_per_process=3)
    await asyncio.gather(c.start(), c.start())
    await c.served(6, within=20 * LEASE)
    for bucket in (0, 1):
        times = sorted(i.at for i in fake.identified if i.shard_id % 2 == bucket)
        assert len(times) == 3
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= WINDOW / 2, gaps  # without the shared slot they come together


async def test_a_process_cut_from_the_database_stops_its_shards_before_they_are_taken(
    cluster, postgres_url: str
) -> None:
    base = make_url(postgres_url)
    _admin(base, "CREATE ROLE cut_off LOGIN SUPERUSER")
    fake = FakeDiscord(shards=2)
    one_guild_per_shard(fake)
    c = cluster(fake)
    cut = await c.start(base.set(username="cut_off").render_as_string(hide_password=False))
    await c.served(2, within=10 * LEASE)
    other = await c.start()
    assert c.holders() == [[0, 1], []]
    _admin(
        base,
        "ALTER ROLE cut_off NOLOGIN",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'cut_off'",
    )
    await until(lambda: sorted(other.adapter.leases.held) == [0, 1], 10 * LEASE)
    await c.served(2, within=10 * LEASE)
    assert fake.double_served == []
    assert cut.adapter.client.serving() == []
    assert all(s.closed for s in fake.sockets if s not in [i.socket for i in fake.identified[-2:]])


async def test_a_config_change_reaches_the_other_process_within_a_second(cluster) -> None:
    fake = FakeDiscord(shards=2)
    channels = one_guild_per_shard(fake)
    c = cluster(fake)
    holder = await c.start()  # takes both shards
    standby = await c.start()
    await c.served(2, within=10 * LEASE)
    assert c.holders() == [[0, 1], []]
    guild = str(fake.channels[channels[0]].guild_id)
    reply = await ask(holder, channels[0], '!config greeter greeting "hey there"')
    assert reply == "[greeter] greeting = 'hey there' in this server."
    values = standby.bot.server_config.values
    assert await until(lambda: values.get(("greeter", guild)) == {"greeting": "hey there"}, 1.0) < 1
    await holder.adapter.close()  # leaves cleanly: its shards are handed over at once
    await c.served(2, within=LEASE)
    assert c.holders() == [[], [0, 1]]
    assert await ask(standby, channels[0], "!greet") == "hey there"


async def shard_zero_and_the_other(cluster: Any) -> tuple[Any, Any, int, str]:
    """Two processes with a shard each: the one serving shard 0's guild, the other one, that
    guild's channel and the guild's id."""
    fake = FakeDiscord(shards=2)
    channels = one_guild_per_shard(fake)
    c = cluster(fake, max_shards_per_process=1)
    first = await c.start()
    second = await c.start()
    await c.served(2, within=10 * LEASE)
    holder = first if 0 in first.adapter.leases.held else second
    other = second if holder is first else first
    return holder, other, channels[0], str(fake.channels[channels[0]].guild_id)


async def test_a_plugin_switched_off_through_one_process_is_off_in_the_other(cluster) -> None:
    holder, other, channel, guild = await shard_zero_and_the_other(cluster)
    await ask(holder, channel, "!plugin disable greeter")
    assert await until(lambda: "greeter" in other.bot.switches.off(guild), 1.0) < 1


async def test_a_tool_switched_off_through_one_process_is_off_in_the_other(cluster) -> None:
    holder, other, channel, guild = await shard_zero_and_the_other(cluster)
    assert (await other.bot.tools.choices(guild)) == {}  # read before the change
    assert "help" in await ask(holder, channel, "!tools disable help")

    async def off() -> bool:
        return (await other.bot.tools.choices(guild)).get("help", {}).get("enabled") is False

    for _ in range(100):
        if await off():
            break
        await asyncio.sleep(0.01)
    assert await off()


def test_leased_shards_on_sqlite_refuse_to_start() -> None:
    settings = DiscordSettings(shard_count=2, shard_ids="leased")
    with pytest.raises(DiscordStartError, match=r"through PostgreSQL; set \[storage\] url"):
        DiscordAdapter("token", settings, "sqlite+aiosqlite:///bot.db")


async def test_too_few_session_starts_left_stops_the_start_and_says_so(
    tmp_path: Path, capsys
) -> None:
    fake = FakeDiscord(shards=2, session_starts=1)
    raw = {"bot": {"data_dir": str(tmp_path)}, "discord": {"shard_count": "auto"}}
    bot = Bot.build(Config.from_dict(raw), entry_points=False)
    with fake:
        assert await run_discord(bot, fake.token) == 1
    err = capsys.readouterr().err
    assert "1 more gateway session start(s) (of 1)" in err
    assert "2 are needed; not starting" in err
    assert fake.identified == []


async def test_auto_shard_count_takes_discord_s_recommendation(discord_harness) -> None:
    fake = FakeDiscord(shards=3)
    async with discord_harness(config={"discord": {"shard_count": "auto"}}, fake=fake):
        assert sorted(i.shard_id for i in fake.identified) == [0, 1, 2]
        assert {i.shard_count for i in fake.identified} == {3}


async def test_api_base_sends_rest_calls_through_the_proxy(discord_harness, monkeypatch) -> None:
    monkeypatch.setattr(Route, "BASE", Route.BASE)  # restored afterwards
    fake = FakeDiscord()
    config = {"discord": {"api_base": "http://nirn-proxy:8080/api/v10"}}
    async with discord_harness(config=config, fake=fake) as dh:
        sent = await dh.message("!hi", author=dh.member)
    assert sent.text == "HI!"
    assert {r.host for r in fake.requests} == {"nirn-proxy:8080"}


def test_doctor_recommends_a_proxy_for_leased_shards() -> None:
    url = "postgresql+asyncpg://bot@db/bot"
    leased = DiscordSettings(shard_count=4, shard_ids="leased")
    warned = [p for p in discord_health(leased, url) if "proxy" in p.fix]
    assert [p.severity for p in warned] == ["warning"]
    proxied = attrs.evolve(leased, api_base="http://nirn-proxy:8080/api/v10")
    assert [p for p in discord_health(proxied, url) if "proxy" in p.fix] == []


@pytest.mark.parametrize(
    ("shard_ids", "warned"), [([0, 1], True), ([0, 1, 2, 3], False), ([], False)]
)
def test_doctor_recommends_a_proxy_when_fixed_shards_are_split_over_processes(
    shard_ids: list[int], warned: bool
) -> None:
    fixed = DiscordSettings(shard_count=4, shard_ids=shard_ids)
    found = [p for p in discord_health(fixed) if "api_base" in p.fix]
    assert [p.severity for p in found] == (["warning"] if warned else [])


def test_doctor_says_leased_shards_need_postgresql() -> None:
    leased = DiscordSettings(shard_count=4, shard_ids="leased")
    (problem,) = [p for p in discord_health(leased, "") if "PostgreSQL" in p.message]
    assert "postgresql+asyncpg" in problem.fix


def test_leased_shards_need_a_shard_count() -> None:
    with pytest.raises(ConfigError, match='"leased" needs shard_count'):
        Config.from_dict({"discord": {"shard_ids": "leased"}}).section("discord", DiscordSettings)
