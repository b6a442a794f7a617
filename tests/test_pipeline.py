"""The message flow: trigger policy, replies, streaming, attachments, errors, per-guild switches."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import AsyncIterator, Callable

import attrs
import pytest

import botkit
from botkit import Attachment, Channel, ChannelKind, Context, Reply, User
from botkit.adapter import Sent
from botkit.testing import BOT_USER, GUILD, RecordingAdapter, start_harness


class Echo:
    """A chat plugin that repeats what it was asked."""

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return f"echo: {text}"


@pytest.fixture
def echo_bot(botkit_harness) -> Callable[..., object]:
    def start(**config: object) -> object:
        return botkit_harness(plugins={"echo": Echo()}, config={"bot": config})

    return start


# --- trigger policy ---


async def test_dm_is_answered(echo_bot) -> None:
    async with echo_bot() as bot:
        assert (await bot.dm("hello")).text == "echo: hello"


async def test_mention_is_answered(echo_bot) -> None:
    async with echo_bot() as bot:
        assert (await bot.send("hello", mention=True)).text == "echo: hello"


async def test_reply_to_the_bot_is_answered(echo_bot) -> None:
    async with echo_bot() as bot:
        [greeting] = await bot.send("!hi")
        assert (await bot.send("and you?", reply_to=greeting.id)).text == "echo: and you?"


async def test_reply_to_a_person_is_ignored(echo_bot) -> None:
    async with echo_bot() as bot:
        await bot.send("first", user=bot.member)
        person_message = list(bot.adapter.messages)[-1]  # the member's, as nothing answered
        assert await bot.send("second", reply_to=person_message) == []


async def test_message_in_the_bots_thread_is_answered(echo_bot) -> None:
    thread = Channel("700", "chat", ChannelKind.THREAD, GUILD, "600", BOT_USER.id)
    async with echo_bot() as bot:
        assert (await bot.send("hello", channel=thread)).text == "echo: hello"


async def test_message_in_someone_elses_thread_is_ignored(echo_bot) -> None:
    thread = Channel("700", "chat", ChannelKind.THREAD, GUILD, "600", "3")
    async with echo_bot() as bot:
        assert await bot.send("hello", channel=thread) == []


async def test_plain_message_in_a_channel_is_ignored(echo_bot) -> None:
    async with echo_bot() as bot:
        assert await bot.send("hello") == []


async def test_message_in_an_allowed_channel_is_answered(echo_bot) -> None:
    async with echo_bot(allowed_channels=["600"]) as bot:
        assert (await bot.send("hello")).text == "echo: hello"


async def test_all_trigger_answers_every_channel(echo_bot) -> None:
    async with echo_bot(triggers=["all"]) as bot:
        assert (await bot.send("hello")).text == "echo: hello"


async def test_dm_is_ignored_when_dm_is_not_a_trigger(echo_bot) -> None:
    async with echo_bot(triggers=["mention"]) as bot:
        assert await bot.dm("hello") == []


async def test_other_bots_are_ignored(echo_bot) -> None:
    other_bot = User("77", "otherbot", is_bot=True)
    async with echo_bot() as bot:
        assert await bot.dm("hello", user=other_bot) == []


async def test_no_chat_plugin_is_explained(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.dm("hello")
    assert replies.text == "No chat plugin is installed. See !help."


# --- long replies ---


def long_text_with_code() -> str:
    intro = "".join(f"intro line {i}\n" for i in range(60))
    code = "".join(f"value_{i:03d} = {i} * 2  # doubled\n" for i in range(140))
    outro = "".join(f"outro line {i}\n" for i in range(30))
    return f"{intro}```python\n{code}```\n{outro}"


class Long:
    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return long_text_with_code()


NUMBERED = re.compile(r"^(?:intro line|value_|outro line).*$", re.MULTILINE)


@pytest.fixture
async def long_replies(botkit_harness) -> list[str]:
    assert len(long_text_with_code()) >= 5000
    async with botkit_harness(plugins={"long": Long()}) as bot:
        return [s.text for s in await bot.dm("tell me everything")]


async def test_long_reply_is_split_at_the_limit(long_replies) -> None:
    assert len(long_replies) >= 3
    assert all(len(chunk) <= 2000 for chunk in long_replies)


async def test_long_reply_keeps_every_line_in_order(long_replies) -> None:
    seen = [m for chunk in long_replies for m in NUMBERED.findall(chunk)]
    assert seen == NUMBERED.findall(long_text_with_code())


async def test_long_reply_chunks_have_balanced_fences(long_replies) -> None:
    assert [chunk.count("```") % 2 for chunk in long_replies] == [0] * len(long_replies)


async def test_long_reply_reopens_the_code_block_with_its_language(long_replies) -> None:
    inside_code = [c for c in long_replies[1:] if "value_" in c.split("\n", 1)[1]]
    assert inside_code
    assert all(chunk.startswith("```python\n") for chunk in inside_code)


class Unbroken:
    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return "x" * 4500


async def test_long_word_is_cut_without_losing_characters(botkit_harness) -> None:
    async with botkit_harness(plugins={"unbroken": Unbroken()}) as bot:
        chunks = [s.text for s in await bot.dm("one long word")]
    assert max(map(len, chunks)) <= 2000
    assert "".join(chunks) == "x" * 4500


# --- streaming ---


@attrs.define
class FakeClock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@attrs.define
class TimedAdapter(RecordingAdapter):
    """Records the injected time of every send and edit."""

    clock: FakeClock = attrs.Factory(FakeClock)
    send_times: list[float] = attrs.Factory(list)
    edit_times: list[float] = attrs.Factory(list)

    async def send(self, channel, text, files, reply_to) -> Sent:  # type: ignore[no-untyped-def]
        self.send_times.append(self.clock())
        return await super().send(channel, text, files, reply_to)

    async def edit(self, sent: Sent, text: str) -> Sent:
        self.edit_times.append(self.clock())
        return await super().edit(sent, text)


PIECES = [f"word{i} " for i in range(20)]


@attrs.define
class Streamer:
    clock: FakeClock

    async def pieces(self) -> AsyncIterator[str]:
        for piece in PIECES:
            self.clock.now += 0.25
            yield piece

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply:
        return Reply(stream=self.pieces())


@pytest.fixture
async def streamed(botkit_harness) -> tuple[TimedAdapter, list[Sent]]:
    clock = FakeClock()
    adapter = TimedAdapter(clock=clock)
    plugins = {"streamer": Streamer(clock)}
    async with botkit_harness(plugins=plugins, clock=clock, adapter=adapter) as bot:
        return adapter, await bot.dm("stream please")


async def test_stream_ends_with_the_complete_text_in_one_message(streamed) -> None:
    _, replies = streamed
    assert [s.text for s in replies] == ["".join(PIECES)]


async def test_stream_edits_at_most_once_a_second(streamed) -> None:
    adapter, _ = streamed
    progress = [*adapter.send_times, *adapter.edit_times[:-1]]  # the last edit completes it
    gaps = [b - a for a, b in itertools.pairwise(progress)]
    assert len(gaps) >= 2
    assert min(gaps) >= 1.0


async def test_stream_shows_progress_before_the_end(streamed) -> None:
    adapter, _ = streamed
    assert len(adapter.edits[0].text) < len("".join(PIECES).strip())


class Breaking:
    """A chat plugin whose stream drops after the first piece."""

    async def pieces(self) -> AsyncIterator[str]:
        yield "partial answer"
        raise ConnectionError("stream dropped")

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply:
        return Reply(stream=self.pieces())


async def test_failing_stream_keeps_the_partial_text_and_says_so(botkit_harness) -> None:
    async with botkit_harness(plugins={"breaking": Breaking()}) as bot:
        replies = await bot.dm("hello")
    assert [s.text for s in replies] == [
        "partial answer",
        "Something went wrong while answering; the details are in the bot's log.",
    ]


async def test_bot_goes_on_after_a_failing_stream(botkit_harness) -> None:
    async with botkit_harness(plugins={"breaking": Breaking()}) as bot:
        await bot.dm("hello")
        assert (await bot.send("!hi")).text == "HI!"


async def test_long_stream_is_split_at_the_limit(botkit_harness) -> None:
    clock = FakeClock()
    text = long_text_with_code()

    class LongStream:
        async def pieces(self) -> AsyncIterator[str]:
            for line in text.splitlines(keepends=True):
                clock.now += 0.1
                yield line

        @botkit.hookimpl
        def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply:
            return Reply(stream=self.pieces())

    async with botkit_harness(plugins={"long": LongStream()}, clock=clock) as bot:
        chunks = [s.text for s in await bot.dm("everything, slowly")]
    assert all(len(chunk) <= 2000 for chunk in chunks)
    assert [m for c in chunks for m in NUMBERED.findall(c)] == NUMBERED.findall(text)


# --- attachments and audio ---


async def test_an_attachment_of_no_kind_read_without_text_gets_a_clear_reply(echo_bot) -> None:
    async with echo_bot() as bot:
        replies = await bot.dm("", attachments=[bot.attachment("notes.pdf", b"%PDF-1.7")])
    assert replies.text == "I can read text, images and audio; this attachment is none."


async def test_an_image_without_text_reaches_the_chat_plugin(echo_bot) -> None:
    async with echo_bot() as bot:
        replies = await bot.dm("", attachments=[bot.attachment("cat.png", b"\x89PNG")])
    assert replies.text == "echo: "


async def test_audio_without_a_transcriber_gets_a_clear_reply(echo_bot) -> None:
    async with echo_bot() as bot:
        voice = bot.attachment("voice.ogg", b"OggS", "audio/ogg", voice=True)
        replies = await bot.dm("", attachments=[voice])
    assert replies.text == "No speech-to-text plugin is installed, so I cannot hear audio."


class Transcriber:
    @botkit.hookimpl
    async def botkit_transcribe(self, ctx: Context, attachment: Attachment) -> str:
        return f"heard {len(await attachment.read())} bytes"


async def test_transcript_reaches_the_respond_hook(botkit_harness) -> None:
    plugins = {"ears": Transcriber(), "echo": Echo()}
    async with botkit_harness(plugins=plugins) as bot:
        voice = bot.attachment("voice.ogg", b"OggS1234", "audio/ogg", voice=True)
        replies = await bot.dm("", attachments=[voice])
    assert replies.text == "echo: heard 8 bytes"


@attrs.define
class Speaker:
    answer: bool | None
    spoken: list[str] = attrs.Factory(list)

    @botkit.hookimpl
    def botkit_deliver(self, ctx: Context, reply: Reply) -> bool | None:
        self.spoken.append(reply.text)
        return self.answer


async def test_deliver_hook_returning_true_replaces_the_text_reply(botkit_harness) -> None:
    speaker = Speaker(True)
    async with botkit_harness(plugins={"echo": Echo(), "voice": speaker}) as bot:
        replies = await bot.dm("hello")
    assert (replies, speaker.spoken) == ([], ["echo: hello"])


async def test_deliver_hook_returning_none_leaves_the_text_reply(botkit_harness) -> None:
    async with botkit_harness(plugins={"echo": Echo(), "voice": Speaker(None)}) as bot:
        assert (await bot.dm("hello")).text == "echo: hello"


# --- command errors ---


async def refuse(ctx: Context) -> str:
    """Refuse politely."""
    raise botkit.CommandError("You cannot do that here; try in #bots.")


async def crash(ctx: Context) -> str:
    """Crash."""
    raise KeyError("internal detail")


async def slow(ctx: Context) -> str:
    """Never finish."""
    await asyncio.Event().wait()
    return "done"


class Failing:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(refuse), botkit.command(crash), botkit.command(slow)]


async def test_command_error_becomes_the_reply(botkit_harness) -> None:
    async with botkit_harness(plugins={"failing": Failing()}) as bot:
        assert (await bot.send("!refuse")).text == "You cannot do that here; try in #bots."


async def test_unexpected_exception_gets_a_generic_reply(botkit_harness) -> None:
    async with botkit_harness(plugins={"failing": Failing()}) as bot:
        replies = await bot.send("!crash")
    assert replies.text == "!crash failed; the details are in the bot's log."


async def test_unexpected_exception_is_logged_with_its_traceback(botkit_harness, caplog) -> None:
    async with botkit_harness(plugins={"failing": Failing()}) as bot:
        with caplog.at_level(logging.ERROR, logger="botkit"):
            await bot.send("!crash")
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == "command crash of plugin failing failed"
    assert "KeyError: 'internal detail'" in caplog.text


async def test_unexpected_exception_is_counted(botkit_harness) -> None:
    async with botkit_harness(plugins={"failing": Failing()}) as bot:
        await bot.send("!crash")
        replies = await bot.send("!plugins")
    assert "`failing`  ok (1 failure)" in replies.text


async def test_slow_command_is_stopped(botkit_harness) -> None:
    config = {"bot": {"hook_timeout": 0.05}}
    async with botkit_harness(plugins={"failing": Failing()}, config=config) as bot:
        replies = await bot.send("!slow")
    assert replies.text == "!slow took too long and was stopped."


async def test_unknown_command_gets_a_suggestion(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.send("!hlep")
    assert replies.text == "Unknown command !hlep. Did you mean !help? See !help."


# --- context snippets ---


class Knowledge:
    @botkit.hookimpl
    def botkit_knowledge(self, ctx: Context, text: str) -> list[str]:
        return [f"note about {text}"]


class Quoting:
    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return " | ".join(snippets)


async def test_context_snippets_reach_the_respond_hook(botkit_harness) -> None:
    plugins = {"knowledge": Knowledge(), "quoting": Quoting()}
    async with botkit_harness(plugins=plugins) as bot:
        assert (await bot.dm("cats")).text == "note about cats"


# --- per-guild plugin switches ---


async def shout(ctx: Context) -> str:
    """Shout."""
    return "SHOUT!"


class Shouter:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(shout)]

    @botkit.hookimpl(tryfirst=True)
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return "SHOUTED ANSWER"


class Fallback:
    @botkit.hookimpl(trylast=True)
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return "quiet answer"


OTHER_GUILD = Channel("601", "general", ChannelKind.GUILD_TEXT, "501")


@pytest.fixture
def switch_bot(botkit_harness) -> Callable[[], object]:
    return lambda: botkit_harness(plugins={"shouter": Shouter(), "fallback": Fallback()})


async def test_disabling_a_plugin_is_confirmed(switch_bot) -> None:
    async with switch_bot() as bot:
        replies = await bot.send("!plugin disable shouter")
    assert replies.text == "Plugin shouter disabled in this server."


async def test_disabled_plugins_command_is_refused_in_that_guild(switch_bot) -> None:
    async with switch_bot() as bot:
        await bot.send("!plugin disable shouter")
        assert (await bot.send("!shout")).text == "!shout is disabled in this server."


async def test_disabled_plugins_respond_hook_is_skipped_in_that_guild(switch_bot) -> None:
    async with switch_bot() as bot:
        await bot.send("!plugin disable shouter")
        assert (await bot.send("hello", mention=True)).text == "quiet answer"


async def test_disabled_plugin_still_works_in_another_guild(switch_bot) -> None:
    async with switch_bot() as bot:
        await bot.send("!plugin disable shouter")
        assert (await bot.send("!shout", channel=OTHER_GUILD)).text == "SHOUT!"
        answer = await bot.send("hello", channel=OTHER_GUILD, mention=True)
    assert answer.text == "SHOUTED ANSWER"


async def test_disabled_plugin_stays_disabled_after_a_restart(switch_bot) -> None:
    async with switch_bot() as bot:
        await bot.send("!plugin disable shouter")
    async with switch_bot() as bot:
        assert (await bot.send("!shout")).text == "!shout is disabled in this server."


async def test_enabling_a_plugin_again_restores_its_command(switch_bot) -> None:
    async with switch_bot() as bot:
        await bot.send("!plugin disable shouter")
        await bot.send("!plugin enable shouter")
        assert (await bot.send("!shout")).text == "SHOUT!"


async def test_only_admins_switch_plugins(switch_bot) -> None:
    async with switch_bot() as bot:
        replies = await bot.send("!plugin disable shouter", user=bot.member)
        assert replies.text == "Only server admins (Manage Server) can use this command."
        assert (await bot.send("!shout")).text == "SHOUT!"


async def test_unknown_word_after_the_prefix_in_a_channel_is_ignored(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.send("!wow that was close")
    assert replies == []


async def test_unknown_command_in_a_dm_is_answered(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.dm("!wow")
    assert replies.text == "Unknown command !wow. See !help."


async def test_a_stream_that_hangs_is_cut_off(botkit_harness) -> None:
    class Hanging:
        @botkit.hookimpl
        def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply:
            async def pieces() -> AsyncIterator[str]:
                yield "partial"
                await asyncio.sleep(3600)

            return Reply(stream=pieces())

    config = {"bot": {"hook_timeout": 0.05}}
    async with botkit_harness(plugins={"hangs": Hanging()}, config=config) as bot:
        replies = await bot.dm("hello")
    assert replies.text.endswith("the details are in the bot's log.")


class Typo:
    """A chat plugin whose settings the configuration file gets wrong."""

    @attrs.define
    class Settings:
        temperature: float = botkit.setting(0.7, "sampling temperature")

    @botkit.hookimpl
    def botkit_settings(self) -> type:
        return self.Settings

    @botkit.hookimpl
    def botkit_respond(self, ctx: botkit.Context, text: str, snippets: list[str]) -> str:
        return "never"


TYPO = {"chat": {"temprature": 0.2}}
NOT_LOADED = (
    "chat is installed but not loaded: configuration: [chat] temprature is not a "
    "setting (did you mean temperature?); see botkit doctor"
)


async def test_a_plugin_with_a_wrong_section_is_named_where_it_would_have_answered(tmp_path):
    async with start_harness(
        {"chat": Typo()}, config=TYPO, data_dir=tmp_path / "data", strict=False
    ) as bot:
        replies = await bot.dm("hello")
    assert replies.text == NOT_LOADED


async def test_a_plugin_with_a_wrong_section_is_named_for_an_unknown_command(tmp_path):
    async with start_harness(
        {"chat": Typo()}, config=TYPO, data_dir=tmp_path / "data", strict=False
    ) as bot:
        replies = await bot.dm("!reset")
    assert replies.text == f"Unknown command !reset. ({NOT_LOADED}) See !help."
