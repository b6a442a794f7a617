"""Cooldowns: a command's default, enforced with an injected clock, changed per server."""

from __future__ import annotations

import pytest

import botkit
from botkit import Context, Cooldown
from botkit.models import Channel, User
from botkit.testing import ADMIN, GUILD, MEMBER, OWNER

OTHER_MEMBER = User(id="4", name="bob")
OTHER_CHANNEL = Channel(id="601", name="random", guild_id=GUILD)


async def say(ctx: Context, *, text: str) -> str:
    """Say something out loud."""
    return f"saying {text}"


async def ping(ctx: Context) -> str:
    """Answer pong."""
    return "pong"


class Voice:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [
            botkit.command(say, cooldown=Cooldown(rate=1, per=10.0, bucket="user")),
            botkit.command(ping),
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
async def bot(botkit_harness, clock: Clock):
    async with botkit_harness(plugins={"voice": Voice()}, clock=clock) as harness:
        yield harness


async def member_says(bot, text: str = "!say hi", user: User = MEMBER, **kwargs) -> str:
    return (await bot.send(text, user=user, **kwargs)).text


async def test_a_second_use_within_the_cooldown_is_refused_with_the_time_left(bot, clock) -> None:
    assert await member_says(bot) == "saying hi"
    clock.now += 3
    assert await member_says(bot) == "!say is cooling down for you: try again in 7 seconds."


async def test_trying_again_within_the_cooldown_is_answered_once(bot, clock) -> None:
    await member_says(bot)
    assert (await member_says(bot)).startswith("!say is cooling down")
    clock.now += 2
    assert await member_says(bot) == ""


async def test_the_next_cooldown_is_announced_again(bot, clock) -> None:
    await member_says(bot)
    await member_says(bot)
    clock.now += 10
    await member_says(bot)
    assert (await member_says(bot)).startswith("!say is cooling down")


async def test_each_user_is_told_about_a_shared_cooldown(bot) -> None:
    await bot.send("!rules cooldown say 1/60 channel", user=ADMIN)
    await member_says(bot)
    await member_says(bot)
    assert (await member_says(bot, user=OTHER_MEMBER)).startswith("!say is cooling down")


async def test_the_command_runs_again_once_the_cooldown_is_over(bot, clock) -> None:
    await member_says(bot)
    clock.now += 10
    assert await member_says(bot) == "saying hi"


async def test_a_user_cooldown_leaves_other_users_alone(bot) -> None:
    await member_says(bot)
    assert await member_says(bot, user=OTHER_MEMBER) == "saying hi"


async def test_a_refused_use_does_not_extend_the_cooldown(bot, clock) -> None:
    await member_says(bot)
    clock.now += 5
    await member_says(bot)
    clock.now += 5
    assert await member_says(bot) == "saying hi"


async def test_the_owner_has_no_cooldown(bot) -> None:
    await member_says(bot, user=OWNER)
    assert await member_says(bot, user=OWNER) == "saying hi"


async def test_an_admin_changes_the_cooldown_for_the_server(bot, clock) -> None:
    reply = (await bot.send("!rules cooldown say 1/30 user", user=ADMIN)).text
    assert reply == "!say cooldown in this server: 1/30s per user."
    await member_says(bot)
    clock.now += 20
    assert await member_says(bot) == "!say is cooling down for you: try again in 10 seconds."


async def test_a_channel_cooldown_is_shared_by_the_channel(bot) -> None:
    await bot.send("!rules cooldown say 2/60 channel", user=ADMIN)
    await member_says(bot)
    await member_says(bot, user=OTHER_MEMBER)
    assert await member_says(bot, user=ADMIN) == (
        "!say is cooling down for this channel: try again in 60 seconds."
    )
    assert await member_says(bot, channel=OTHER_CHANNEL) == "saying hi"


async def test_a_server_cooldown_is_shared_by_the_server(bot) -> None:
    await bot.send("!rules cooldown say 1/120 server", user=ADMIN)
    await member_says(bot)
    assert await member_says(bot, user=OTHER_MEMBER, channel=OTHER_CHANNEL) == (
        "!say is cooling down for this server: try again in 2 minutes."
    )


async def test_a_command_without_a_default_gets_one(bot) -> None:
    await bot.send("!rules cooldown ping 1/5", user=ADMIN)
    await member_says(bot, "!ping")
    assert await member_says(bot, "!ping") == (
        "!ping is cooling down for you: try again in 5 seconds."
    )


async def test_off_removes_the_cooldown_in_the_server(bot) -> None:
    assert (await bot.send("!rules cooldown say off", user=ADMIN)).text == (
        "!say has no cooldown in this server now."
    )
    await member_says(bot)
    assert await member_says(bot) == "saying hi"


async def test_reset_brings_back_the_commands_own_cooldown(bot) -> None:
    await bot.send("!rules cooldown say off", user=ADMIN)
    assert (await bot.send("!rules cooldown say reset", user=ADMIN)).text == (
        "!say is back to its own cooldown here: 1/10s per user."
    )
    await member_says(bot)
    assert (await member_says(bot)).startswith("!say is cooling down")


async def test_a_change_stays_in_its_server(bot, clock) -> None:
    await bot.send("!rules cooldown say off", user=ADMIN)
    elsewhere = Channel(id="700", name="general", guild_id="501")
    await member_says(bot, channel=elsewhere)
    assert (await member_says(bot, channel=elsewhere)).startswith("!say is cooling down")


async def test_a_change_survives_a_restart(botkit_harness, clock) -> None:
    async with botkit_harness(plugins={"voice": Voice()}, clock=clock) as bot:
        await bot.send("!rules cooldown say 1/30 user", user=ADMIN)
    async with botkit_harness(plugins={"voice": Voice()}, clock=clock) as bot:
        await member_says(bot)
        assert await member_says(bot) == "!say is cooling down for you: try again in 30 seconds."


async def test_rules_lists_the_changed_cooldowns(bot) -> None:
    await bot.send("!rules cooldown say 1/30 user", user=ADMIN)
    assert "!say: 1/30s per user" in (await bot.send("!rules", user=ADMIN)).text.splitlines()


async def test_check_shows_the_cooldown_in_force(bot) -> None:
    text = (await bot.send("!rules check say", user=ADMIN)).text
    assert text.endswith("Cooldown: 1/10s per user.")


@pytest.mark.parametrize(
    ("typed", "reply"),
    [
        (
            "!rules cooldown say often",
            "Give the cooldown as uses/seconds, e.g. `!rules cooldown say 1/30 user`, or off, "
            "or reset; not 'often'.",
        ),
        (
            "!rules cooldown say 0/30",
            "A cooldown needs at least 1 use per a positive number of seconds.",
        ),
        (
            "!rules cooldown say 1/30 guild",
            "A cooldown counts per user, channel, server, not 'guild'.",
        ),
        ("!rules cooldown nope 1/30", "No command 'nope'. See !help."),
    ],
)
async def test_a_bad_cooldown_is_explained(bot, typed: str, reply: str) -> None:
    assert (await bot.send(typed, user=ADMIN)).text == reply
    await member_says(bot)
    assert (await member_says(bot)).endswith("try again in 10 seconds.")


async def test_a_member_cannot_change_a_cooldown(bot) -> None:
    assert (await bot.send("!rules cooldown say off", user=MEMBER)).text == (
        "Only server admins (Manage Server) can use this command."
    )


async def test_silent_cooldown_refusals_get_no_answer(bot) -> None:
    await bot.send("!rules silent on", user=ADMIN)
    await member_says(bot)
    assert await member_says(bot) == ""


async def test_a_cooldown_in_the_console_counts_per_user_there(botkit_harness, clock) -> None:
    async with botkit_harness(plugins={"voice": Voice()}, clock=clock) as bot:
        await bot.dm("!say hi", user=MEMBER)
        assert (await bot.dm("!say hi", user=MEMBER)).text == (
            "!say is cooling down for you: try again in 10 seconds."
        )
