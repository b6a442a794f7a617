"""!join, !leave, !say and !voice through the test kit."""

from __future__ import annotations

import asyncio
from pathlib import Path

from voice_helpers import (
    LOUNGE,
    MEMBER_IN_VOICE,
    OWNER_IN_VOICE,
    BeepEngine,
    SlowVoice,
    spoken,
)

from botkit.testing import GUILD


async def test_join_puts_the_bot_in_the_authors_voice_channel(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!join", user=OWNER_IN_VOICE)
        assert replies.text == "Joined Lounge."
        assert bot.adapter.voice.channel(GUILD) == LOUNGE


async def test_join_outside_a_voice_channel_says_so(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!join")
        assert replies.text == "You are not in a voice channel. Join one, then try again."
        assert not bot.adapter.voice.is_connected(GUILD)


async def test_join_on_a_platform_without_voice_says_so(voice_bot):
    async with voice_bot(voice=None) as bot:
        replies = await bot.send("!join", user=OWNER_IN_VOICE)
        assert "no voice channels" in replies.text


async def test_leave_disconnects(voice_bot):
    async with voice_bot() as bot:
        await bot.send("!join", user=OWNER_IN_VOICE)
        replies = await bot.send("!leave")
        assert replies.text == "Disconnected from the voice channel."
        assert not bot.adapter.voice.is_connected(GUILD)


async def test_leave_when_not_connected_says_so(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!leave")
        assert replies.text == "I am not in a voice channel."


async def test_say_speaks_in_the_authors_channel(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!say hello there", user=MEMBER_IN_VOICE)
        assert replies.text == "🔊 Saying it in Lounge."
        await spoken(bot.bot)
        [(guild, audio)] = bot.adapter.voice.played
        assert guild == GUILD
        assert audio.suffix == ".wav"
        assert not audio.exists()  # cleaned up once played


async def test_say_without_a_voice_channel_says_how(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!say hello")
        assert replies.text == "Join a voice channel first (or use !join), then try again."


async def test_say_without_text_shows_usage(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!say", user=OWNER_IN_VOICE)
        assert replies.text == "text is missing. Usage: `!say <text…>`"


async def test_voice_shows_the_defaults(voice_bot):
    async with voice_bot(config={"tts_engine": "gtts", "language": "ru"}) as bot:
        replies = await bot.send("!voice", user=MEMBER_IN_VOICE)
        assert replies.text.splitlines()[0] == "Voice here: engine **gtts**, language **ru**."
        assert "speech-to-text uses sphinx" in replies.text


async def test_voice_engine_is_stored_per_guild(voice_bot):
    async with voice_bot() as bot:
        assert (await bot.send("!voice engine gtts")).text == "Voice engine set to gtts."
        replies = await bot.send("!voice")
        assert replies.text.splitlines()[0] == "Voice here: engine **gtts**, language **en**."


async def test_voice_engine_is_for_admins(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!voice engine gtts", user=bot.member)
        assert replies.text == "Only server admins (Manage Server) can use this command."


async def test_voice_engine_refuses_an_unknown_engine(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!voice engine nonsense")
        assert replies.text == (
            "No installed plugin speaks with an engine called 'nonsense'. "
            "Try one of: gtts, espeak, openai."
        )
        assert "engine **espeak**" in (await bot.send("!voice")).text


async def test_voice_engine_refuses_openai_without_a_key(voice_bot, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with voice_bot() as bot:
        replies = await bot.send("!voice engine openai")
        assert replies.text == (
            "The openai engine cannot work here: "
            "the OPENAI_API_KEY environment variable is not set."
        )


async def test_voice_engine_accepts_a_third_party_engine(voice_bot, tmp_path: Path):
    beep = BeepEngine(tmp_path / "beep")
    async with voice_bot(plugins={"beep": beep}) as bot:
        assert (await bot.send("!voice engine beep")).text == "Voice engine set to beep."
        await bot.send("!say third party", user=OWNER_IN_VOICE)
        await spoken(bot.bot)
        assert beep.texts == ["test", "third party"]  # the probe, then the speech
        assert len(bot.adapter.voice.played) == 1


async def test_voice_language_is_stored(voice_bot):
    async with voice_bot() as bot:
        assert (await bot.send("!voice language pt-BR")).text == "Voice language set to pt-BR."
        assert "language **pt-BR**" in (await bot.send("!voice")).text


async def test_voice_language_refuses_an_unknown_code(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.send("!voice language zz")
        assert replies.text == "No voice speaks 'zz'; use a code like en, ru, de, fr, es, pt-BR."
        replies = await bot.send("!voice language english")
        assert replies.text == "'english' is not a language code; use one like en, ru, de, pt-BR."


async def test_say_refuses_when_the_queue_is_full(voice_bot):
    voice = SlowVoice(seconds=0.2)
    async with voice_bot(config={"max_queue": 1}, voice=voice) as bot:
        await bot.send("!say one", user=OWNER_IN_VOICE)
        await asyncio.wait_for(voice.started.wait(), 10)
        await bot.send("!say two", user=OWNER_IN_VOICE)
        replies = await bot.send("!say three", user=OWNER_IN_VOICE)
        assert replies.text == "I have too much to say already; try again in a moment."
