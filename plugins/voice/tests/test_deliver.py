"""Spoken replies: when they are spoken, the per-guild queue, idle leaving, text posting."""

from __future__ import annotations

import asyncio
from pathlib import Path

import attrs
from voice_helpers import (
    LOUNGE,
    OWNER_IN_VOICE,
    STAGE,
    BeepEngine,
    FakeClock,
    SlowVoice,
    spoken,
)

from botkit import Channel, ChannelKind, User
from botkit.testing import GUILD


def beep(tmp_path: Path) -> dict[str, object]:
    return {"beep": BeepEngine(tmp_path / "beep")}


async def test_reply_is_spoken_and_posted_when_the_author_is_in_voice(voice_bot, tmp_path):
    plugins = beep(tmp_path)
    async with voice_bot(config={"tts_engine": "beep"}, plugins=plugins) as bot:
        replies = await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        assert replies.text == "you said: hi"
        assert plugins["beep"].texts == ["you said: hi"]
        assert bot.adapter.voice.channel(GUILD) == LOUNGE


async def test_reply_is_not_spoken_when_the_author_is_not_in_voice(voice_bot, tmp_path):
    async with voice_bot(config={"tts_engine": "beep"}, plugins=beep(tmp_path)) as bot:
        replies = await bot.send("hi", mention=True)
        await spoken(bot.bot)
        assert replies.text == "you said: hi"
        assert bot.adapter.voice.played == []


async def test_speak_when_never_keeps_replies_silent(voice_bot, tmp_path):
    config = {"tts_engine": "beep", "speak_when": "never", "also_post_text": False}
    async with voice_bot(config=config, plugins=beep(tmp_path)) as bot:
        replies = await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        assert replies.text == "you said: hi"
        assert bot.adapter.voice.played == []


async def test_speak_when_always_speaks_where_the_bot_already_is(voice_bot, tmp_path):
    config = {"tts_engine": "beep", "speak_when": "always"}
    async with voice_bot(config=config, plugins=beep(tmp_path)) as bot:
        await bot.send("!join", user=OWNER_IN_VOICE)
        await bot.send("hi", mention=True)  # the author is not in voice
        await spoken(bot.bot)
        assert len(bot.adapter.voice.played) == 1


async def test_in_voice_mode_ignores_where_the_bot_already_is(voice_bot, tmp_path):
    async with voice_bot(config={"tts_engine": "beep"}, plugins=beep(tmp_path)) as bot:
        await bot.send("!join", user=OWNER_IN_VOICE)
        await bot.send("hi", mention=True)
        await spoken(bot.bot)
        assert bot.adapter.voice.played == []


async def test_text_is_not_posted_when_also_post_text_is_off(voice_bot, tmp_path):
    config = {"tts_engine": "beep", "also_post_text": False}
    async with voice_bot(config=config, plugins=beep(tmp_path)) as bot:
        replies = await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        assert replies.text == ""
        assert len(bot.adapter.voice.played) == 1


async def test_long_reply_is_cut_with_a_note_and_posted_in_full(voice_bot, tmp_path):
    config = {"tts_engine": "beep", "also_post_text": False, "max_speech_chars": 30}
    plugins = beep(tmp_path)
    async with voice_bot(config=config, plugins=plugins) as bot:
        words = " ".join(["word"] * 20)
        replies = await bot.send(words, user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        assert replies.text == f"you said: {words}"
        [said] = plugins["beep"].texts
        assert said == "you said: word word word word … The rest is in the chat."


async def test_markdown_and_links_are_not_read_aloud(voice_bot, tmp_path):
    plugins = beep(tmp_path)
    async with voice_bot(config={"tts_engine": "beep"}, plugins=plugins) as bot:
        await bot.send("**see** https://example.com", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        assert plugins["beep"].texts == ["you said: see a link"]


async def test_replies_are_spoken_in_order_never_overlapping(voice_bot, tmp_path):
    voice = SlowVoice(seconds=0.05)
    config = {"tts_engine": "beep"}
    async with voice_bot(config=config, plugins=beep(tmp_path), voice=voice) as bot:
        for text in ("first", "second", "third"):
            await bot.send(text, user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        assert voice.played == ["beep-1.wav", "beep-2.wav", "beep-3.wav"]
        assert voice.most_at_once == 1
        assert voice.existed == [True, True, True]
        assert not any((tmp_path / "beep").iterdir())  # every file removed after playing


async def test_guilds_have_separate_queues(voice_bot, tmp_path):
    voice = SlowVoice(seconds=0.05)
    far_voice = Channel(id="800", name="Far", kind=ChannelKind.VOICE, guild_id="900")
    far_text = Channel(id="801", name="far", guild_id="900")
    far_user = User(id="1", name="owner", voice_channel=far_voice)
    async with voice_bot(config={"tts_engine": "beep"}, plugins=beep(tmp_path), voice=voice) as bot:
        await bot.send("here", user=OWNER_IN_VOICE, mention=True)
        await bot.send("there", user=far_user, mention=True, channel=far_text)
        await spoken(bot.bot)
        assert voice.most_at_once == 2  # two guilds speak at the same time
        assert set(voice.connected) == {GUILD, "900"}


async def test_bot_moves_to_the_authors_new_channel(voice_bot, tmp_path):
    async with voice_bot(config={"tts_engine": "beep"}, plugins=beep(tmp_path)) as bot:
        await bot.send("!join", user=OWNER_IN_VOICE)
        moved = attrs.evolve(OWNER_IN_VOICE, voice_channel=STAGE)
        await bot.send("hi", user=moved, mention=True)
        await spoken(bot.bot)
        assert bot.adapter.voice.channel(GUILD) == STAGE


async def test_bot_leaves_after_idle_seconds_of_silence(voice_bot, tmp_path):
    clock = FakeClock()
    config = {"tts_engine": "beep", "idle_seconds": 60}
    async with voice_bot(config=config, plugins=beep(tmp_path), clock=clock) as bot:
        await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        await clock.advance(59)
        assert bot.adapter.voice.is_connected(GUILD)
        await clock.advance(1)
        assert not bot.adapter.voice.is_connected(GUILD)


async def test_speaking_again_restarts_the_idle_timer(voice_bot, tmp_path):
    clock = FakeClock()
    config = {"tts_engine": "beep", "idle_seconds": 60}
    async with voice_bot(config=config, plugins=beep(tmp_path), clock=clock) as bot:
        await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        await clock.advance(40)
        await bot.send("again", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        await clock.advance(40)
        assert bot.adapter.voice.is_connected(GUILD)
        await clock.advance(20)
        assert not bot.adapter.voice.is_connected(GUILD)
        await bot.send("back", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        assert bot.adapter.voice.is_connected(GUILD)  # rejoined to speak


async def test_idle_seconds_zero_stays_connected(voice_bot, tmp_path):
    clock = FakeClock()
    config = {"tts_engine": "beep", "idle_seconds": 0}
    async with voice_bot(config=config, plugins=beep(tmp_path), clock=clock) as bot:
        await bot.send("!join", user=OWNER_IN_VOICE)
        await clock.advance(100_000)
        assert bot.adapter.voice.is_connected(GUILD)


async def test_leave_forgets_what_was_queued(voice_bot, tmp_path):
    voice = SlowVoice(seconds=0.2)
    config = {"tts_engine": "beep"}
    async with voice_bot(config=config, plugins=beep(tmp_path), voice=voice) as bot:
        for text in ("one", "two", "three"):
            await bot.send(text, user=OWNER_IN_VOICE, mention=True)
        await asyncio.wait_for(voice.started.wait(), 30)  # "one" is playing, two are queued
        replies = await bot.send("!leave")
        await spoken(bot.bot)
        assert replies.text == "Disconnected from the voice channel."
        assert len(voice.played) <= 1
        assert not voice.is_connected(GUILD)


async def test_failed_synthesis_posts_the_text_with_a_note(voice_bot):
    config = {"tts_engine": "missing", "also_post_text": False}
    async with voice_bot(config=config) as bot:
        await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
        assert bot.adapter.sent[-1].text == (
            "(I could not say this aloud: no text-to-speech engine could speak it.)\nyou said: hi"
        )


async def test_a_full_queue_posts_the_text_instead(voice_bot, tmp_path):
    voice = SlowVoice(seconds=0.2)
    config = {"tts_engine": "beep", "also_post_text": False, "max_queue": 1}
    async with voice_bot(config=config, plugins=beep(tmp_path), voice=voice) as bot:
        await bot.send("one", user=OWNER_IN_VOICE, mention=True)
        await asyncio.wait_for(voice.started.wait(), 10)
        await bot.send("two", user=OWNER_IN_VOICE, mention=True)  # waiting
        replies = await bot.send("three", user=OWNER_IN_VOICE, mention=True)
        assert replies.text == "you said: three"
        await spoken(bot.bot)
        assert len(voice.played) == 2


async def test_the_speech_queue_depth_is_reported_for_metrics(voice_bot, tmp_path, monkeypatch):
    from botkit import PluginHandle

    depths: list[tuple[str, int, str]] = []
    monkeypatch.setattr(
        PluginHandle,
        "set_queue_depth",
        lambda plugin, depth, queue: depths.append((plugin.name, depth, queue)),
    )
    voice = SlowVoice(seconds=0.2)
    config = {"tts_engine": "beep", "also_post_text": False}
    async with voice_bot(config=config, plugins=beep(tmp_path), voice=voice) as bot:
        await bot.send("one", user=OWNER_IN_VOICE, mention=True)
        await asyncio.wait_for(voice.started.wait(), 10)
        await bot.send("two", user=OWNER_IN_VOICE, mention=True)
        await spoken(bot.bot)
    assert ("voice", 1, "speech") in depths
    assert depths[-1] == ("voice", 0, "speech")
