"""Threads discord.py has not cached: their parent is fetched once, so channel rules hold."""

from __future__ import annotations

import botkit
from botkit import ChannelKind, Context


class Recorder:
    """Keeps every message the host hands to plugins."""

    def __init__(self) -> None:
        self.seen: list[botkit.Message] = []

    @botkit.hookimpl
    def botkit_message_received(self, ctx: Context) -> None:
        self.seen.append(ctx.message)


async def test_a_channel_rule_refuses_the_command_in_an_uncached_thread(discord_harness) -> None:
    async with discord_harness() as dh:
        rule = await dh.message(
            f"!rules add deny command hi channel <#{dh.channel}>", author=dh.admin
        )
        thread = dh.add_thread("started while the bot was away", parent=dh.channel)
        in_thread = await dh.message("!hi", channel=thread, author=dh.member)
        elsewhere = await dh.message("!hi", channel=dh.other_channel, author=dh.member)
    assert rule.text == f"Rule added: deny command hi in channel <#{dh.channel}>."
    assert in_thread.text == f"!hi is disabled in <#{dh.channel}>."
    assert elsewhere.text == "HI!"


async def test_an_uncached_thread_is_a_thread_of_its_parent(discord_harness) -> None:
    recorder = Recorder()
    async with discord_harness(plugins={"rec": recorder}) as dh:
        thread = dh.add_thread("late", parent=dh.channel, owner=dh.member)
        await dh.message("!hi", channel=thread, author=dh.member)
    (seen,) = recorder.seen
    channel = seen.channel
    assert (channel.id, channel.kind, channel.parent_id, channel.owner_id) == (
        str(thread),
        ChannelKind.THREAD,
        str(dh.channel),
        str(dh.member.id),
    )


async def test_an_uncached_thread_is_fetched_once(discord_harness) -> None:
    async with discord_harness() as dh:
        thread = dh.add_thread("late", parent=dh.channel)
        first = await dh.message("!hi", channel=thread, author=dh.member)
        second = await dh.message("!hi", channel=thread, author=dh.member)
    fetches = [r for r in first.requests + second.requests if r.route == f"GET /channels/{thread}"]
    assert len(fetches) == 1
    assert first.text == second.text == "HI!"


async def test_a_thread_that_cannot_be_fetched_is_still_answered(discord_harness) -> None:
    async with discord_harness() as dh:
        thread = dh.add_thread("hidden", parent=dh.channel)
        dh.fake.fail(
            "GET", rf"/channels/{thread}", status=403, code=50001, message="Missing Access"
        )
        sent = await dh.message("!hi", channel=thread, author=dh.member)
    assert sent.text == "HI!"
