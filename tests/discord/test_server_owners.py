"""Server owners in control on Discord: rules by role, cooldowns, settings, metrics and health.

Everything goes through the real discord.py client against the fake Discord, as a server's
owner, admins and members would type it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import attrs
import pytest
from prometheus_client.parser import text_string_to_metric_families

import botkit
from botkit import Context, Cooldown, setting
from botkit_testkit.discord import DiscordHarness, FakeUser
from botkit_testkit.discord.payloads import member_payload, role_payload, user_payload


def temperature_range(instance: Any, attribute: Any, value: float) -> None:
    if not 0 <= value <= 2:
        raise ValueError(f"temperature must be between 0 and 2, not {value!r}")


@attrs.define
class ChatSettings:
    temperature: float = setting(0.7, "sampling temperature", temperature_range, server=True)
    base_url: str = setting("https://api.example.test/v1", "the service", owner_only=True)


async def train(ctx: Context) -> str:
    """Start training."""
    return "training started"


async def say(ctx: Context, *, text: str) -> str:
    """Say something."""
    return f"saying {text}"


async def temp(ctx: Context) -> str:
    """The temperature here."""
    return f"temperature {ctx.settings.temperature}"


class Owners:
    @botkit.hookimpl
    def botkit_settings(self) -> type:
        return ChatSettings

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [
            botkit.command(train),
            botkit.command(say, cooldown=Cooldown(rate=1, per=10.0, bucket="user")),
            botkit.command(temp),
        ]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def start(discord_harness, clock: Clock):
    def begin(**config: Any) -> Any:
        return discord_harness(plugins={"chat": Owners()}, config=config, clock=clock)

    return begin


async def add_role(dh: DiscordHarness, name: str) -> int:
    """A new role in the server (GUILD_ROLE_CREATE), as Discord announces it."""
    role_id = dh.fake.new_id()
    await dh.feed(
        "GUILD_ROLE_CREATE",
        {"guild_id": str(dh.guild), "role": role_payload(role_id, name, 0, position=1)},
    )
    return role_id


def add_member(dh: DiscordHarness, name: str, *roles: int) -> FakeUser:
    user = FakeUser(dh.fake.new_id(), name, roles=roles)
    dh.fake.users[user.id] = user
    return user


async def message_mentioning(dh: DiscordHarness, content: str, author: FakeUser, *users: FakeUser):
    """A message whose mentions Discord resolved (each with its member, roles included)."""
    event, data = dh.fake.message_event(content, author=author)
    data["mentions"] = [
        {**user_payload(u), "member": member_payload(u, with_user=False)} for u in users
    ]
    return await dh.feed(event, data)


async def trainers_rules(dh: DiscordHarness) -> tuple[int, FakeUser]:
    trainers = await add_role(dh, "trainers")
    alice = add_member(dh, "alice", trainers)
    await dh.message("!rules add deny command train role @everyone", author=dh.admin)
    await dh.message(f"!rules add allow command train role <@&{trainers}>", author=dh.admin)
    return trainers, alice


# --- rules by role ---


async def test_a_member_without_the_role_is_refused_with_the_reason(start) -> None:
    async with start() as dh:
        trainers, _ = await trainers_rules(dh)
        sent = await dh.message("!train", author=dh.member)
    assert sent.text == f"!train is disabled in this server. It is allowed to role <@&{trainers}>."


async def test_a_member_with_the_role_runs_train(start) -> None:
    async with start() as dh:
        _, alice = await trainers_rules(dh)
        assert (await dh.message("!train", author=alice)).text == "training started"
        assert (await dh.slash("train", author=alice)).text == "training started"


async def test_the_slash_command_is_refused_alike(start) -> None:
    async with start() as dh:
        trainers, _ = await trainers_rules(dh)
        sent = await dh.slash("train", author=dh.member)
    assert sent.text == f"!train is disabled in this server. It is allowed to role <@&{trainers}>."


async def test_check_explains_for_a_mentioned_member(start) -> None:
    async with start() as dh:
        trainers, alice = await trainers_rules(dh)
        sent = await message_mentioning(dh, f"!rules check train {alice.mention}", dh.admin, alice)
    assert sent.text == (
        f"<@{alice.id}> may run !train here: rule 2 "
        f"(allow command train to role <@&{trainers}>) decides."
    )


async def test_check_for_a_member_without_the_role(start) -> None:
    async with start() as dh:
        await trainers_rules(dh)
        sent = await message_mentioning(
            dh, f"!rules check train {dh.member.mention}", dh.admin, dh.member
        )
    assert sent.text.startswith(
        f"<@{dh.member.id}> may not run !train here: rule 1 (deny command train in this server)"
    )


async def test_the_rules_are_shown_to_admins_only(start) -> None:
    async with start() as dh:
        await trainers_rules(dh)
        shown = await dh.message("!rules", author=dh.admin)
        refused = await dh.message("!rules", author=dh.member)
    assert "1. deny command train in this server" in shown.text
    assert refused.text == "Only server admins (Manage Server) can use this command."


# --- cooldowns ---


async def test_a_second_say_within_the_cooldown_is_refused_with_the_time_left(start, clock) -> None:
    async with start() as dh:
        assert (await dh.message("!say hi", author=dh.member)).text == "saying hi"
        clock.now += 4
        sent = await dh.message("!say hi", author=dh.member)
    assert sent.text == "!say is cooling down for you: try again in 6 seconds."


async def test_rules_cooldown_changes_it(start, clock) -> None:
    async with start() as dh:
        changed = await dh.message("!rules cooldown say 1/30 user", author=dh.admin)
        await dh.message("!say hi", author=dh.member)
        clock.now += 20
        sent = await dh.message("!say hi", author=dh.member)
    assert changed.text == "!say cooldown in this server: 1/30s per user."
    assert sent.text == "!say is cooling down for you: try again in 10 seconds."


async def test_rules_cooldown_as_a_slash_command(start, clock) -> None:
    async with start() as dh:
        changed = await dh.slash(
            "rules_cooldown", author=dh.admin, command="say", rate="1/30", bucket="user"
        )
    assert changed.text == "!say cooldown in this server: 1/30s per user."


# --- settings from chat ---


async def test_config_takes_effect_in_that_server(start) -> None:
    async with start() as dh:
        changed = await dh.message("!config chat temperature 0.2", author=dh.admin)
        here = await dh.message("!temp", author=dh.member)
        in_dm = await dh.dm("!temp", author=dh.member)
    assert changed.text == "[chat] temperature = 0.2 in this server."
    assert here.text == "temperature 0.2"
    assert in_dm.text == "temperature 0.7"


async def test_config_refuses_an_invalid_value(start) -> None:
    async with start() as dh:
        sent = await dh.message("!config chat temperature 9", author=dh.admin)
    assert sent.text == "this server: [chat]: temperature must be between 0 and 2, not 9.0"


async def test_config_refuses_base_url_to_an_admin_who_is_not_the_owner(start) -> None:
    async with start() as dh:
        sent = await dh.message("!config chat base_url http://x", author=dh.admin)
    assert sent.text == "[chat] base_url can be changed only by the bot's owner"


# --- metrics and health ---


async def get(dh: DiscordHarness, path: str) -> tuple[int, str]:
    host, port = dh.bot.metrics.address
    async with aiohttp.ClientSession() as session, session.get(f"http://{host}:{port}{path}") as r:
        return r.status, await r.text()


def value(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


METRICS = {"listen": "127.0.0.1:0"}


async def test_metrics_show_the_counters_after_traffic(start) -> None:
    async with start(metrics=METRICS) as dh:
        await dh.message("!hi", author=dh.member)
        await dh.message("!say hi", author=dh.member)
        await dh.message("!say hi", author=dh.member)
        await dh.slash("hi", author=dh.member)
        status, text = await get(dh, "/metrics")
    assert status == 200
    assert value(text, "botkit_messages_received_total") == 4
    assert value(text, "botkit_messages_answered_total") == 4
    assert value(text, "botkit_commands_run_total", command="hi") == 2
    assert value(text, "botkit_commands_refused_total", command="say", reason="cooldown") == 1


@pytest.mark.parametrize(
    ("discord", "healthy", "lost"),
    [  # a sharded process names the shards it serves
        ({}, "ok\n", "disconnected\n"),
        ({"shard_count": 1}, "ok\nshards: 0\n", "disconnected\nshards: none\n"),
    ],
    ids=["client", "sharded"],
)
async def test_healthz_flips_to_503_when_the_gateway_connection_is_lost(
    start, discord, healthy, lost
) -> None:
    async with start(metrics=METRICS, discord=discord) as dh:
        assert await get(dh, "/healthz") == (200, healthy)
        dh.fake.gateway_reachable = False
        dh.fake.sockets[-1].server_close(4000)
        for _ in range(100):  # discord.py notices the close on its own task
            if (await get(dh, "/healthz"))[0] == 503:
                break
            await asyncio.sleep(0.01)
        assert await get(dh, "/healthz") == (503, lost)
