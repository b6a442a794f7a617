"""Voice messages answered in kind: OGG/Opus voice messages with duration and waveform."""

from __future__ import annotations

import base64
import subprocess

import pytest
from botkit_voice import notes, stt
from voice_helpers import OWNER_IN_VOICE

from botkit.util import ffmpeg_executable


@pytest.fixture
def heard(monkeypatch):
    """Recognition stands in (what it hears is fixed): these tests are about the answer."""

    async def recognise(settings, pcm, language):
        return "what time is it"

    monkeypatch.setitem(stt.RECOGNISERS, "sphinx", recognise)


def voice_note(bot, data: bytes):
    return bot.attachment("voice-message.ogg", data, "audio/ogg", voice=True)


def probe(data: bytes) -> str:
    """ffmpeg's description of an audio file's streams."""
    argv = [ffmpeg_executable(), "-hide_banner", "-i", "pipe:0", "-f", "null", "-"]
    return subprocess.run(argv, input=data, capture_output=True, timeout=30).stderr.decode()


async def test_a_voice_message_is_answered_with_a_voice_message(voice_bot, voice_message, heard):
    config = {"speak_when": "voice", "show_transcript": False}
    async with voice_bot(config=config, voice=None, voice_notes=True) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    assert replies.text == "you said: what time is it"
    [note] = replies.files
    assert note.voice and note.filename == "voice-message.ogg"
    assert note.data[:4] == b"OggS"
    assert "Audio: opus" in probe(note.data)
    assert 0.5 < note.duration < 5
    shape = base64.b64decode(note.waveform)
    assert len(shape) == 256 and max(shape) > 50  # loud where it speaks


async def test_without_also_post_text_only_the_voice_message_is_sent(
    voice_bot, voice_message, heard
):
    config = {"speak_when": "voice", "show_transcript": False, "also_post_text": False}
    async with voice_bot(config=config, voice=None, voice_notes=True) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    assert replies.text == ""
    assert [f.voice for f in replies.files] == [True]


async def test_a_typed_message_gets_text_under_speak_when_voice(voice_bot):
    async with voice_bot(config={"speak_when": "voice"}, voice=None, voice_notes=True) as bot:
        replies = await bot.dm("hello")
    assert replies.text == "you said: hello"
    assert replies.files == []


async def test_speak_when_always_answers_everything_with_a_voice_message(voice_bot):
    async with voice_bot(config={"speak_when": "always"}, voice=None, voice_notes=True) as bot:
        replies = await bot.dm("hello")
    assert [f.voice for f in replies.files] == [True]


async def test_in_voice_keeps_voice_messages_answered_in_text(voice_bot, voice_message, heard):
    async with voice_bot(voice=None, voice_notes=True) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
    assert replies.files == []


async def test_no_voice_message_where_the_platform_has_none(voice_bot, voice_message, heard):
    async with voice_bot(config={"speak_when": "always"}, voice=None) as bot:
        replies = await bot.dm("hello")
    assert replies.files == []


async def test_a_voice_channel_is_preferred_to_a_voice_message(voice_bot):
    async with voice_bot(config={"speak_when": "always"}, voice_notes=True) as bot:
        replies = await bot.send("hi", user=OWNER_IN_VOICE, mention=True)
    assert replies.files == []


async def test_failed_speech_leaves_the_text_answer(voice_bot):
    config = {"speak_when": "always", "tts_engine": "missing", "also_post_text": False}
    async with voice_bot(config=config, voice=None, voice_notes=True) as bot:
        replies = await bot.dm("hello")
    assert replies.text == "you said: hello"
    assert replies.files == []


async def test_say_without_voice_channels_answers_with_a_voice_message(voice_bot):
    async with voice_bot(voice=None, voice_notes=True) as bot:
        replies = await bot.send("!say good morning")
    [note] = replies.files
    assert note.voice and note.data[:4] == b"OggS"


def test_waveform_of_silence_is_flat():
    assert set(base64.b64decode(notes.waveform(b"\0\0" * 16000))) == {0}
