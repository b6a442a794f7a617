"""Replies on Discord: long texts split, files, streaming edits, typing, fetching, reactions."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator

import botkit
from botkit import Context, Reply


class Long:
    """Answers with about 5,000 characters: prose, then a long code block, then prose."""

    TEXT = (
        "Here is the script.\n"
        + "\n".join(f"Line {i}: " + "words " * 12 for i in range(20))
        + "\n```python\n"
        + "\n".join(f"print('value number {i}')  # " + "x" * 40 for i in range(50))
        + "\n```\nThat is all."
    )

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return self.TEXT


async def test_long_reply_is_split_into_valid_messages_with_fences_intact(discord_harness) -> None:
    assert len(Long.TEXT) > 5000
    async with discord_harness(plugins={"long": Long()}) as dh:
        sent = await dh.message("script please", mention=True, author=dh.member)
    contents = [r.json["content"] for r in sent]
    assert len(contents) == 3
    assert all(0 < len(c) <= 2000 for c in contents)
    assert all(c.count("```") % 2 == 0 for c in contents)
    assert contents[1].startswith("```python\n") and contents[2].startswith("```python\n")
    assert all(r.status == 200 for r in sent)
    assert "message_reference" in sent[0].json and "message_reference" not in sent[1].json
    code = "".join(c.replace("```python\n", "").replace("\n```", "") for c in contents)
    assert code.count("print('value number") == 50


class Files:
    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply:
        files = tuple(botkit.File(f"f{i}.txt", data=f"file {i}".encode()) for i in range(12))
        return Reply(text="twelve files", files=files)


async def test_files_go_ten_per_message(discord_harness) -> None:
    async with discord_harness(plugins={"files": Files()}) as dh:
        sent = await dh.message("files please", mention=True, author=dh.member)
    assert [len(r.files) for r in sent] == [10, 2]
    assert sent[0].json["content"] == "twelve files"
    assert sent.files[11].filename == "f11.txt" and sent.files[11].data == b"file 11"


class Streaming:
    """Streams ten pieces while a fake clock moves 0.3 s per piece."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply:
        async def pieces() -> AsyncIterator[str]:
            for i in range(10):
                self.clock[0] += 0.3
                yield f"part{i} "

        return Reply(stream=pieces())


async def test_streamed_reply_is_edited_at_most_once_a_second(discord_harness) -> None:
    now = [0.0]
    plugin = Streaming(now)
    async with discord_harness(plugins={"stream": plugin}, clock=lambda: now[0]) as dh:
        sent = await dh.message("stream please", mention=True, author=dh.member)
    assert len(sent) == 1
    assert sent.text.split() == [f"part{i}" for i in range(10)]
    assert 1 <= len(sent.edits) <= 3
    assert all(e.path == f"/channels/{dh.channel}/messages/{sent[0].id}" for e in sent.edits)


class Slow:
    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return "thought about it"


async def test_typing_indicator_while_answering(discord_harness) -> None:
    async with discord_harness(plugins={"slow": Slow()}) as dh:
        sent = await dh.message("think", mention=True, author=dh.member)
    assert sent.routes == [
        f"POST /channels/{dh.channel}/typing",
        f"POST /channels/{dh.channel}/messages",
    ]


async def test_refused_typing_does_not_stop_the_answer(discord_harness) -> None:
    async with discord_harness(plugins={"slow": Slow()}) as dh:
        dh.fake.fail("POST", r"/channels/\d+/typing", status=403, code=50013, message="nope")
        sent = await dh.message("think", mention=True, author=dh.member)
    assert sent.text == "thought about it"


async def test_refused_send_is_logged_and_the_bot_goes_on(discord_harness, caplog) -> None:
    async with discord_harness() as dh:
        dh.fake.fail(
            "POST", r"/channels/\d+/messages", status=403, code=50013, message="Missing Permissions"
        )
        with caplog.at_level(logging.WARNING, "botkit.discord"):
            refused = await dh.message("!hi", author=dh.member)
        sent = await dh.message("!hi", author=dh.member)
    assert refused == []
    assert "403 Missing Permissions" in caplog.text
    assert sent.text == "HI!"


class Fetcher:
    """``!quote ID``: shows a message of this channel through adapter.fetch_message."""

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def quote(ctx: Context, message_id: str) -> str:
            found = await ctx.fetch(message_id)
            return f"{found.author.name}: {found.content}" if found else "not found"

        return [botkit.command(quote)]


async def test_fetch_message_from_the_cache(discord_harness) -> None:
    async with discord_harness(plugins={"fetch": Fetcher()}) as dh:
        await dh.message("the original words", author=dh.admin)
        sent = await dh.message(f"!quote {dh.last_message_id}", author=dh.member)
    assert sent.text == "Admin: the original words"
    assert not any(r.method == "GET" for r in sent.requests)


async def test_fetch_message_over_http(discord_harness) -> None:
    async with discord_harness(plugins={"fetch": Fetcher()}) as dh:
        _, data = dh.fake.message_event("said before the bot started", author=dh.admin)
        sent = await dh.message(f"!quote {data['id']}", author=dh.member)
    assert sent.text == "Admin: said before the bot started"
    assert f"GET /channels/{dh.channel}/messages/{data['id']}" in sent.routes


async def test_fetch_message_unknown_other_channel_or_not_an_id(discord_harness) -> None:
    async with discord_harness(plugins={"fetch": Fetcher()}) as dh:
        await dh.message("elsewhere", channel=dh.other_channel, author=dh.admin)
        elsewhere = dh.last_message_id
        answers = [
            (await dh.message(f"!quote {wanted}", author=dh.member)).text
            for wanted in (elsewhere, 123456789012345678, "abc", "9" * 30)
        ]
    assert answers == ["not found"] * 4


class Reactions:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, bool]] = []

    @botkit.hookimpl
    def botkit_reaction(self, ctx: Context, reaction: botkit.Reaction) -> None:
        self.seen.append((reaction.user.id, reaction.message_id, reaction.emoji, reaction.added))


async def test_reactions_on_the_bots_messages_reach_plugins(discord_harness) -> None:
    plugin = Reactions()
    async with discord_harness(plugins={"reactions": plugin}) as dh:
        reply = (await dh.message("!hi", author=dh.member))[0].id
        await dh.react(reply, "👍", author=dh.member)
        await dh.react(reply, "<:party:112233445566778899>", author=dh.admin)
        await dh.react(reply, "👍", author=dh.member, added=False)
        await dh.react(dh.last_message_id, "👎", author=dh.admin)  # the user's own message
        await dh.react(reply, "🤖", author=dh.other_bot)
    member, admin = str(dh.member.id), str(dh.admin.id)
    assert plugin.seen == [
        (member, str(reply), "👍", True),
        (admin, str(reply), "<:party:112233445566778899>", True),
        (member, str(reply), "👍", False),
    ]


async def test_reaction_in_a_dm(discord_harness) -> None:
    plugin = Reactions()
    async with discord_harness(plugins={"reactions": plugin}) as dh:
        reply = (await dh.dm("!hi", author=dh.member))[0].id
        await dh.react(reply, "❤️", author=dh.member)
    assert plugin.seen == [(str(dh.member.id), str(reply), "❤️", True)]


def test_ids_are_realistic_snowflakes() -> None:
    from botkit_testkit.discord import FakeDiscord

    fake = FakeDiscord()
    ids = [fake.new_id() for _ in itertools.repeat(None, 3)]
    assert ids == sorted(ids) and all(len(str(i)) == 19 for i in ids)
