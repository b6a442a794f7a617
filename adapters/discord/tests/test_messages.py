"""Gateway events become botkit Messages: authors, channels (uncached threads too), attachments,
voice messages."""

from __future__ import annotations

import botkit
from botkit import Attachment, ChannelKind, Context


class Recorder:
    """Keeps every message; ``!read`` downloads an attachment; transcribes audio."""

    def __init__(self) -> None:
        self.seen: list[botkit.Message] = []

    @botkit.hookimpl
    def botkit_message_received(self, ctx: Context) -> None:
        self.seen.append(ctx.message)

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def read(ctx: Context, file: Attachment) -> str:
            data = await file.read()
            return f"{file.filename} {file.content_type} {file.size} {data.decode()}"

        return [botkit.command(read)]

    @botkit.hookimpl
    async def botkit_transcribe(self, ctx: Context, attachment: Attachment) -> str:
        return f"heard {len(await attachment.read())} bytes"

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return f"echo: {text}"


async def test_attachment_is_downloaded_through_discord_py(discord_harness) -> None:
    async with discord_harness(plugins={"rec": Recorder()}) as dh:
        notes = dh.attachment("notes.txt", b"some notes")
        sent = await dh.message("!read", attachments=[notes], author=dh.member)
    assert sent.text == "notes.txt text/plain 10 some notes"


async def test_attachment_option_of_a_slash_command(discord_harness) -> None:
    async with discord_harness(plugins={"rec": Recorder()}) as dh:
        notes = dh.attachment("data.csv", b"a,b\n1,2\n", "text/csv")
        sent = await dh.slash("read", file=notes, author=dh.member)
    assert sent.text == "data.csv text/csv 8 a,b\n1,2\n"


async def test_voice_message_is_flagged_and_transcribed(discord_harness) -> None:
    recorder = Recorder()
    async with discord_harness(plugins={"rec": recorder}) as dh:
        ogg = dh.attachment("voice-message.ogg", b"OggS" + bytes(96), voice=True, duration=2.5)
        sent = await dh.dm("", attachments=[ogg], voice=True, author=dh.member)
    (attachment,) = recorder.seen[0].attachments
    assert attachment.is_voice_message and attachment.is_audio
    assert (attachment.content_type, attachment.size, attachment.duration) == (
        "audio/ogg",
        100,
        2.5,
    )
    assert sent.text == "echo: heard 100 bytes"


async def test_attachment_without_content_type_is_guessed(discord_harness) -> None:
    recorder = Recorder()
    async with discord_harness(plugins={"rec": recorder}) as dh:
        clip = dh.attachment("clip.wav", b"RIFF")
        del clip["content_type"]
        await dh.message("listen", attachments=[clip], author=dh.member)
    assert recorder.seen[0].attachments[0].content_type == "audio/x-wav"
    assert not recorder.seen[0].attachments[0].is_voice_message


async def test_authors_roles(discord_harness) -> None:
    recorder = Recorder()
    async with discord_harness(plugins={"rec": recorder}) as dh:
        for user in (dh.owner, dh.admin, dh.member):
            await dh.message("hello there", author=user)
    flags = [(m.author.name, m.author.is_owner, m.author.is_admin) for m in recorder.seen]
    assert flags == [("Owner", True, True), ("Admin", False, True), ("Member", False, False)]


async def test_authors_voice_channel(discord_harness) -> None:
    recorder = Recorder()
    async with discord_harness(plugins={"rec": recorder}) as dh:
        await dh.message("before", author=dh.member)
        await dh.join_voice(dh.member)
        await dh.message("inside", author=dh.member)
        await dh.leave_voice(dh.member)
        await dh.message("after", author=dh.member)
    before, inside, after = (m.author.voice_channel for m in recorder.seen)
    assert before is None and after is None
    assert (inside.id, inside.name, inside.kind, inside.guild_id) == (
        str(dh.voice_channel),
        "Lounge",
        ChannelKind.VOICE,
        str(dh.guild),
    )


async def test_channel_kinds(discord_harness) -> None:
    recorder = Recorder()
    async with discord_harness(plugins={"rec": recorder}) as dh:
        await dh.message("guild", author=dh.member)
        await dh.message("thread", channel=dh.member_thread, author=dh.member)
        await dh.dm("dm", author=dh.member)
    guild, thread, dm = (m.channel for m in recorder.seen)
    assert (guild.kind, guild.name, guild.guild_id) == (
        ChannelKind.GUILD_TEXT,
        "general",
        str(dh.guild),
    )
    assert (thread.kind, thread.parent_id, thread.owner_id) == (
        ChannelKind.THREAD,
        str(dh.channel),
        str(dh.member.id),
    )
    assert (dm.kind, dm.guild_id) == (ChannelKind.DM, None)


async def test_message_ids_and_times(discord_harness) -> None:
    recorder = Recorder()
    async with discord_harness(plugins={"rec": recorder}) as dh:
        await dh.message("hello", author=dh.member)
    message = recorder.seen[0]
    assert message.id == str(dh.last_message_id)
    assert message.created_at > 1_735_000_000  # 2025, from the snowflake


async def test_system_messages_are_not_handled(discord_harness) -> None:
    recorder = Recorder()
    async with discord_harness(plugins={"rec": recorder}) as dh:
        event, data = dh.fake.message_event("", author=dh.member)
        data["type"] = 7  # "member joined"
        await dh.feed(event, data)
    assert recorder.seen == []


# --- threads discord.py has not cached: their parent is fetched once, so channel rules hold ---


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
