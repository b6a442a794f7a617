"""The pure gate: ``decide`` changes nothing, ``admit`` takes the slots, ``botkit_check``
refuses with a reason, and ``!help`` and ``!rules check`` ask the same gate."""

from __future__ import annotations

import pytest

import botkit
from botkit import Context, Cooldown
from botkit.models import Channel, Message
from botkit.testing import ADMIN, CHANNEL, MEMBER, OWNER


async def say(ctx: Context, *, text: str) -> str:
    """Say something out loud."""
    return f"saying {text}"


async def secret(ctx: Context) -> str:
    """A command the maintenance plugin refuses."""
    return "the secret"


class Voice:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [
            botkit.command(say, cooldown=Cooldown(rate=2, per=10.0)),
            botkit.command(secret),
        ]


class Maintenance:
    """A plugin that refuses one command to members, with its reason."""

    def __init__(self) -> None:
        self.asked = 0

    @botkit.hookimpl
    def botkit_check(self, ctx: Context, command: botkit.Command) -> str | None:
        self.asked += 1
        if command.name == "secret" and not ctx.message.author.is_admin:
            return "!secret is closed for maintenance until tonight."
        return None


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def bot(botkit_harness):
    plugins = {"voice": Voice(), "maintenance": Maintenance()}
    async with botkit_harness(plugins=plugins, clock=Clock()) as harness:
        yield harness


def message(text: str = "!say hi", author=MEMBER, channel: Channel = CHANNEL) -> Message:
    return Message(id="1", content=text, author=author, channel=channel)


async def test_a_plugin_check_refuses_a_command_with_its_reason(bot) -> None:
    assert (await bot.send("!secret", user=MEMBER)).text == (
        "!secret is closed for maintenance until tonight."
    )
    assert (await bot.send("!secret", user=ADMIN)).text == "the secret"


async def test_help_leaves_out_what_a_check_refuses(bot) -> None:
    member = (await bot.send("!help", user=MEMBER)).text
    admin = (await bot.send("!help", user=ADMIN)).text
    assert "`!secret`" not in member
    assert "`!secret`" in admin
    assert "`!say`" in member


async def test_rules_check_says_what_a_plugin_check_says(bot) -> None:
    reply = (await bot.send(f"!rules check secret <@{MEMBER.id}>", user=ADMIN)).text
    assert reply == (
        f"<@{MEMBER.id}> may not run !secret (only their id is known here: their roles and admin "
        "rights were left out): !secret is closed for maintenance until tonight."
    )


async def test_a_plugin_cannot_lock_admins_out_of_the_rules_commands(bot) -> None:
    plugins = bot.bot.plugins
    before = plugins.statuses["maintenance"]
    assert (await bot.send("!rules", user=ADMIN)).text
    assert before.failures == 0


@pytest.mark.parametrize("decisions", [0, 1, 2, 5])
async def test_deciding_takes_no_cooldown_slot(botkit_harness, decisions: int) -> None:
    """However often the gate is asked, a member still gets the command's two uses."""
    async with botkit_harness(plugins={"voice": Voice()}, clock=Clock()) as harness:
        cmd = harness.bot.commands.by_name["say"]
        for _ in range(decisions):
            assert not (await harness.bot.gate.decide(cmd, message())).refused
        first, second, third = [(await harness.send("!say hi", user=MEMBER)).text for _ in "abc"]
    assert (first, second) == ("saying hi", "saying hi")
    assert third.startswith("!say is cooling down for you")


async def test_admit_refuses_once_the_slots_are_taken(bot) -> None:
    gate, cmd = bot.bot.gate, bot.bot.commands.by_name["say"]
    assert not (await gate.admit(cmd, message())).refused
    assert not (await gate.admit(cmd, message())).refused
    assert (await gate.admit(cmd, message())).kind == "cooldown"
    assert (await gate.decide(cmd, message())).kind == "cooldown"
    assert not (await gate.decide(cmd, message(author=OWNER))).refused


TELEGRAM_GROUP = Channel(id="-1001234567890", name="group", guild_id="-1001234567890")
TELEGRAM_TOPIC = Channel(
    id="-1001234567890/7", name="topic", guild_id="-1001234567890", parent_id="-1001234567890"
)


@pytest.mark.parametrize("where", ["-1001234567890", "-1001234567890/7"])
async def test_telegram_chat_and_topic_ids_make_channel_rules(bot, where: str) -> None:
    reply = await bot.send(
        f"!rules add deny command say channel {where}", user=ADMIN, channel=TELEGRAM_GROUP
    )
    assert reply.text == f"Rule added: deny command say in channel <#{where}>."
    channel = TELEGRAM_TOPIC if "/" in where else TELEGRAM_GROUP
    refused = await bot.send("!say hi", user=MEMBER, channel=channel)
    assert "!say" in refused.text and "saying" not in refused.text


async def test_a_huge_rule_number_is_refused_clearly(bot) -> None:
    reply = await bot.send("!rules remove " + "9" * 5000, user=ADMIN)
    assert reply.text == "There is no rule 999999…; see !rules."


async def test_an_unknown_command_in_help_is_quoted_short(bot) -> None:
    reply = await bot.send("!help " + "x" * 100_000, user=MEMBER)
    assert len(reply.text) < 200
    assert not reply.files
