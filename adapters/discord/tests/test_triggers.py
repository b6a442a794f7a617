"""The trigger policy on real gateway events: what the bot answers and what it ignores."""

from __future__ import annotations

from botkit_testkit.discord import FakeDiscord


async def test_dm_is_answered(echo_bot) -> None:
    async with echo_bot() as dh:
        sent = await dh.dm("hello", author=dh.member)
    assert sent.text == "echo: hello"
    assert sent[0].route == f"POST /channels/{dh.fake.dm_channel(dh.member)}/messages"


async def test_mention_is_answered_without_the_mention(echo_bot, echo) -> None:
    async with echo_bot() as dh:
        sent = await dh.message("what time is it?", mention=True, author=dh.member)
    assert sent.text == "echo: what time is it?"
    assert echo.seen[0].mentions_bot


async def test_nickname_mention_is_stripped_too(echo_bot) -> None:
    async with echo_bot() as dh:
        sent = await dh.message(f"hey <@!{dh.bot_user.id}> you", author=dh.member)
    assert sent.text == "echo: hey you"


async def test_reply_to_the_bot_is_answered(echo_bot, echo) -> None:
    async with echo_bot() as dh:
        first = await dh.message("one", mention=True, author=dh.member)
        sent = await dh.message("two", reply_to=first[0].id, author=dh.member)
    assert sent.text == "echo: two"
    reference = echo.seen[1].reference
    assert reference.id == str(first[0].id)
    assert reference.author.id == str(dh.bot_user.id) and reference.author.is_bot
    assert reference.content == "echo: one"
    assert reference.reply_to == str(echo.seen[0].id)


async def test_reply_to_someone_else_is_ignored(echo_bot) -> None:
    async with echo_bot() as dh:
        await dh.message("a plain remark", author=dh.admin)
        sent = await dh.message("indeed", reply_to=dh.last_message_id, author=dh.member)
    assert sent == []


async def test_the_bots_thread_is_answered(echo_bot, echo) -> None:
    async with echo_bot() as dh:
        sent = await dh.message("in the thread", channel=dh.bot_thread, author=dh.member)
    assert sent.text == "echo: in the thread"
    channel = echo.seen[0].channel
    assert (channel.kind.value, channel.parent_id, channel.owner_id) == (
        "thread",
        str(dh.channel),
        str(dh.bot_user.id),
    )


async def test_someone_elses_thread_is_ignored(echo_bot) -> None:
    async with echo_bot() as dh:
        sent = await dh.message("in the thread", channel=dh.member_thread, author=dh.member)
    assert sent == []


async def test_other_channel_is_ignored(echo_bot) -> None:
    async with echo_bot() as dh:
        sent = await dh.message("just chatting", channel=dh.other_channel, author=dh.member)
    assert sent.requests == []


async def test_allowed_channel_is_answered(echo_bot) -> None:
    fake = FakeDiscord()
    async with echo_bot(fake, allowed_channels=[str(fake.random)]) as dh:
        sent = await dh.message("just chatting", channel=dh.other_channel, author=dh.member)
    assert sent.text == "echo: just chatting"


async def test_other_bots_are_ignored(echo_bot, echo) -> None:
    async with echo_bot() as dh:
        sent = await dh.message("!hi", mention=True, author=dh.other_bot)
        dm = await dh.dm("hello", author=dh.other_bot)
    assert sent.requests == [] and dm.requests == []
    assert echo.seen == []


async def test_own_messages_are_ignored(echo_bot, echo) -> None:
    async with echo_bot() as dh:
        sent = await dh.message("!hi", mention=True, author=dh.bot_user)
    assert sent.requests == []
    assert echo.seen == []


async def test_own_replies_echoed_by_the_gateway_are_ignored(echo_bot, echo) -> None:
    async with echo_bot() as dh:
        sent = await dh.message("hello", mention=True, author=dh.member)
        cached = [m.id for m in dh.adapter.client.cached_messages if m.author.bot]
    assert cached == [sent[0].id]  # Discord sent the bot's reply back as MESSAGE_CREATE
    assert len(echo.seen) == 1


async def test_a_burst_over_new_channels_and_users(echo_bot, echo) -> None:
    async with echo_bot() as dh:
        channels = [await dh.add_channel(f"room-{i}") for i in range(5)]
        users = [dh.add_user(f"user-{i}") for i in range(10)]
        events = [
            dh.fake.message_event(
                f"hello {i}", author=users[i % 10], channel=channels[i % 5], mention=True
            )
            for i in range(50)
        ]
        sent = await dh.feed_many(events)
    assert sorted(r.content for r in sent) == sorted(f"echo: hello {i}" for i in range(50))
    assert {r.path for r in sent} == {f"/channels/{c}/messages" for c in channels}
    assert len({m.author.id for m in echo.seen}) == 10
