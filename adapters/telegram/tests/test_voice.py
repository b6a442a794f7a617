"""Voice notes in (transcribed by the voice plugin) and out (OGG/Opus with sendVoice)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import botkit_voice
import pytest
from botkit_voice import espeak_worker
from conftest import EchoChat

from botkit.util import ffmpeg_executable
from botkit_testkit.telegram import is_ogg_opus

PHRASE = "one two three four five"
NUMBERS = set(PHRASE.split())
VOICE = {"voice": {"tts_engine": "espeak", "stt_engine": "sphinx", "speak_when": "voice"}}


@pytest.fixture(scope="session")
def voice_note(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """PHRASE spoken by espeak-ng and encoded by ffmpeg as a Telegram voice note (OGG/Opus)."""
    wav = tmp_path_factory.mktemp("speech") / "phrase.wav"
    worker = [sys.executable, str(Path(espeak_worker.__file__)), "en-us", str(wav)]
    subprocess.run(worker, input=PHRASE.encode(), check=True, timeout=60)
    ffmpeg = ffmpeg_executable()
    assert ffmpeg is not None
    encode = [ffmpeg, "-loglevel", "error", "-i", str(wav), "-c:a", "libopus", "-b:a", "32k"]
    encode += ["-f", "ogg", "pipe:1"]
    return subprocess.run(encode, check=True, capture_output=True, timeout=60).stdout


def voice_bot(telegram_harness, **config):
    plugins = {"voice": botkit_voice, "chat": EchoChat()}
    sections = {"voice": {**VOICE["voice"], **config}}
    return telegram_harness(plugins=plugins, config=sections)


async def test_the_test_voice_note_is_real_ogg_opus(voice_note):
    assert is_ogg_opus(voice_note)


async def test_a_voice_note_is_downloaded_transcribed_and_answered(telegram_harness, voice_note):
    async with voice_bot(telegram_harness, speak_when="never") as tg:
        replies = await tg.send(voice=voice_note, duration=2)
    assert replies.of("getFile")
    heard, answer = replies.text.split("\n")
    words = heard.removeprefix("🎤 ").split()
    assert len(set(words) & NUMBERS) >= 2, heard  # PocketSphinx on a synthetic voice
    assert answer == f"you said: {' '.join(words)}"


async def test_a_voice_note_over_20_mb_is_refused_without_downloading(telegram_harness, voice_note):
    async with voice_bot(telegram_harness) as tg:
        replies = await tg.send(voice=voice_note, size=25 * 1024 * 1024)
    assert replies.of("getFile") == []
    assert "too large" in replies.text and "20 MB" in replies.text


async def test_a_voice_note_is_answered_with_a_playable_voice_note(telegram_harness, voice_note):
    async with voice_bot(telegram_harness) as tg:
        replies = await tg.send(voice=voice_note, duration=2)
    voices = replies.of("sendVoice")
    assert len(voices) == 1
    upload = next(iter(voices[0].uploads.values()))
    assert is_ogg_opus(upload.data)
    assert "voice" in voices[0].result  # Telegram shows it as a voice note, not a file
    assert int(voices[0].params["duration"]) >= 1


async def test_a_text_message_gets_no_voice_note_when_speak_when_is_voice(telegram_harness):
    async with voice_bot(telegram_harness) as tg:
        replies = await tg.send("hello")
    assert replies.of("sendVoice") == []
    assert replies.text == "you said: hello"


async def test_speak_when_always_answers_text_with_a_voice_note_too(telegram_harness):
    async with voice_bot(telegram_harness, speak_when="always") as tg:
        replies = await tg.send("hello")
    assert len(replies.of("sendVoice")) == 1
    assert replies.text == "you said: hello"


async def test_an_audio_file_is_transcribed_like_a_voice_note(telegram_harness, voice_note):
    async with voice_bot(telegram_harness, speak_when="never") as tg:
        replies = await tg.send(audio=("phrase.ogg", voice_note), duration=2)
    assert replies.text.startswith("🎤 ")


async def test_say_arrives_as_a_playable_voice_note(telegram_harness):
    async with voice_bot(telegram_harness) as tg:
        replies = await tg.send("/say hello")
    (voice,) = replies.of("sendVoice")
    assert is_ogg_opus(next(iter(voice.uploads.values())).data)
    assert "voice" in voice.result
    assert replies.of("sendMessage") == []
