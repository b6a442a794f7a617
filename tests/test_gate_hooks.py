"""What the gate asks plugins besides ``botkit_check``'s reason: a silent ``Refusal``, a space's
cooldown (``botkit_cooldown``) and a space's silence (``botkit_silent``)."""

from __future__ import annotations

import logging

import botkit
from botkit import Context, Cooldown, Refusal
from botkit.testing import ADMIN, GUILD, MEMBER, OWNER


async def say(ctx: Context, *, text: str) -> str:
    """Say something (once a minute)."""
    return f"saying {text}"


async def shout(ctx: Context, *, text: str) -> str:
    """Shout something (no cooldown of its own)."""
    return f"SHOUTING {text}"


class Voice:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(say, cooldown=Cooldown(rate=1, per=60.0)), botkit.command(shout)]


class Closed:
    """Refuses ``!shout`` silently, counted as "closed"."""

    @botkit.hookimpl
    def botkit_check(self, ctx: Context, command: botkit.Command) -> Refusal | None:
        return (
            Refusal("!shout is closed.", silent=True, kind="closed")
            if command.name == "shout"
            else None
        )


class ServerLimits:
    """In the test server: ``!shout`` once a minute, ``!say`` without a cooldown."""

    @botkit.hookimpl
    def botkit_cooldown(
        self, plugin: botkit.PluginHandle, guild_id: str, command: botkit.Command
    ) -> Cooldown | bool | None:
        if guild_id != GUILD:
            return None
        return {"shout": Cooldown(rate=1, per=60.0), "say": False}.get(command.name)


class Hushed:
    """The test server chose silence."""

    @botkit.hookimpl
    def botkit_silent(self, plugin: botkit.PluginHandle, guild_id: str) -> bool | None:
        return guild_id == GUILD or None


class BadKind:
    """Returns a refusal whose kind is no metric label."""

    @botkit.hookimpl
    def botkit_check(self, ctx: Context, command: botkit.Command) -> Refusal:
        return Refusal("no", kind="Not a word!")


async def test_a_silent_refusal_is_not_answered_but_logged(botkit_harness, caplog) -> None:
    caplog.set_level(logging.INFO, "botkit")
    async with botkit_harness(plugins={"voice": Voice(), "closed": Closed()}) as bot:
        replies = await bot.send("!shout hey", user=MEMBER)
    assert replies.text == ""
    assert f"refused !shout to user {MEMBER.id}: !shout is closed." in caplog.text


async def test_a_silent_refusal_is_counted_under_its_kind(botkit_harness) -> None:
    from prometheus_client import generate_latest

    plugins = {"voice": Voice(), "closed": Closed()}
    config = {"metrics": {"listen": "127.0.0.1:0"}}
    async with botkit_harness(plugins=plugins, config=config) as bot:
        await bot.send("!shout hey", user=MEMBER)
        text = generate_latest(bot.bot.metrics.registry).decode()
    assert 'botkit_commands_refused_total{command="shout",reason="closed"} 1.0' in text


async def test_a_plugin_gives_a_command_a_cooldown_in_one_server(botkit_harness) -> None:
    async with botkit_harness(plugins={"voice": Voice(), "limits": ServerLimits()}) as bot:
        here = [(await bot.send("!shout hey", user=MEMBER)).text for _ in "ab"]
        in_dm = [(await bot.dm("!shout hey", user=MEMBER)).text for _ in "ab"]
    assert here[0] == "SHOUTING hey"
    assert here[1].startswith("!shout is cooling down for you: try again in ")
    assert in_dm == ["SHOUTING hey", "SHOUTING hey"]


async def test_a_plugin_takes_a_commands_cooldown_away_in_one_server(botkit_harness) -> None:
    async with botkit_harness(plugins={"voice": Voice(), "limits": ServerLimits()}) as bot:
        replies = [(await bot.send("!say hi", user=MEMBER)).text for _ in "ab"]
    assert replies == ["saying hi", "saying hi"]


async def test_a_cooldown_refusal_is_not_answered_where_the_server_chose_silence(
    botkit_harness,
) -> None:
    async with botkit_harness(plugins={"voice": Voice(), "hushed": Hushed()}) as bot:
        here = [(await bot.send("!say hi", user=MEMBER)).text for _ in "ab"]
        in_dm = [(await bot.dm("!say hi", user=MEMBER)).text for _ in "ab"]
    assert here == ["saying hi", ""]
    assert in_dm[0] == "saying hi"
    assert in_dm[1].startswith("!say is cooling down for you")


async def test_a_refusal_of_the_wrong_shape_is_a_bad_result(botkit_harness) -> None:
    async with botkit_harness(plugins={"voice": Voice(), "bad": BadKind()}) as bot:
        replies = await bot.send("!shout hey", user=MEMBER)
        bad = bot.status("bad").bad_results
    assert (replies.text, bad) == ("SHOUTING hey", 1)


class AsyncCheck:
    """Implements a quick hook as ``async def``, which the gate cannot ask on every command."""

    @botkit.hookimpl
    async def botkit_check(self, ctx: Context, command: botkit.Command) -> None:
        return None


async def test_an_async_quick_hook_is_refused_when_the_plugin_loads(botkit_harness) -> None:
    async with botkit_harness(plugins={"slow": AsyncCheck()}, strict=False) as bot:
        hi = await bot.send("!hi", user=MEMBER)
        error = bot.status("slow").error
    assert hi.text == "HI!"
    assert "botkit_check must be a plain def answering from memory" in error


def unreadable_rules(monkeypatch) -> None:
    """Reading every server's rules fails, as when the database is unreachable at start."""
    original = botkit.Storage.settings_by_guild

    async def failing(self, owner: str, key: str):
        if (owner, key) == ("botkit", "rules"):
            raise OSError("the database is unreachable")
        return await original(self, owner, key)

    monkeypatch.setattr(botkit.Storage, "settings_by_guild", failing)


async def test_commands_are_refused_while_the_rules_cannot_be_read(
    botkit_harness, monkeypatch
) -> None:
    unreadable_rules(monkeypatch)
    async with botkit_harness(strict=False) as bot:
        member = await bot.send("!hi", user=MEMBER)
        owner = await bot.send("!hi", user=OWNER)
    assert member.text.startswith("This server's rules could not be read")
    assert owner.text == "HI!"


async def test_the_rules_commands_read_the_rules_again_once_they_can(
    botkit_harness, monkeypatch
) -> None:
    unreadable_rules(monkeypatch)
    async with botkit_harness(strict=False) as bot:
        monkeypatch.undo()
        await bot.send("!rules", user=ADMIN)
        member = await bot.send("!hi", user=MEMBER)
    assert member.text == "HI!"
