"""The synthesize hook's engines: espeak (real), gtts falling back, openai (local server)."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import threading
import wave
from pathlib import Path

import botkit_voice
import pytest
from botkit_voice import tts
from voice_helpers import OWNER_IN_VOICE, EchoChat, spoken, wav_seconds

from botkit import Audio, Message
from botkit.testing import CHANNEL
from botkit_testkit.openai_server import FakeOpenAI, silent_wav


async def synthesize(bot, engine: str, text: str = "hello there", language: str = "en"):
    """What the synthesize hook returns for ``engine``, as the voice queue would ask."""
    message = Message(id="1", content="", author=OWNER_IN_VOICE, channel=CHANNEL)
    return await bot.call_first(
        "botkit_synthesize",
        ctx=bot.bot.context(message, "voice"),
        text=text,
        engine=engine,
        language=language,
    )


async def test_espeak_speaks_offline_into_a_wav_file(voice_bot):
    async with voice_bot() as bot:
        audio = await synthesize(bot, "espeak")
        assert isinstance(audio, Audio)
        assert audio.format == "wav"
        assert audio.path.parent == bot.data_dir / "voice" / "tmp"
        assert 0.3 < wav_seconds(audio.path) < 5


async def test_each_synthesis_gets_its_own_file(voice_bot):
    async with voice_bot() as bot:
        first, second = await asyncio.gather(
            synthesize(bot, "espeak", "one"), synthesize(bot, "espeak", "two")
        )
        assert first.path != second.path
        assert first.path.is_file() and second.path.is_file()


async def test_espeak_falls_back_to_english_for_a_language_it_lacks(voice_bot, caplog):
    async with voice_bot() as bot:
        with caplog.at_level(logging.INFO, "botkit.voice"):
            audio = await synthesize(bot, "espeak", language="zz")
        assert wav_seconds(audio.path) > 0.3
        assert "spoke with 'en'" in caplog.text


async def test_espeak_is_killed_at_its_time_out(voice_bot, caplog):
    async with voice_bot(config={"tts_timeout": 0.001}) as bot:
        with caplog.at_level(logging.WARNING, "botkit.voice"):
            assert await synthesize(bot, "espeak") is None
        assert "espeak-ng took longer than 0.001 s." in caplog.text
        assert not any((bot.data_dir / "voice" / "tmp").iterdir())


async def test_other_engines_names_are_left_to_other_plugins(voice_bot):
    async with voice_bot() as bot:
        assert await synthesize(bot, "somebody-elses") is None


class FailingGTTS:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def write_to_fp(self, fp) -> None:
        raise ConnectionError("Failed to connect")


async def test_gtts_failure_falls_back_to_espeak(voice_bot, monkeypatch, caplog):
    monkeypatch.setattr(tts, "gTTS", FailingGTTS)
    async with voice_bot(config={"tts_engine": "gtts"}) as bot:
        with caplog.at_level(logging.WARNING, "botkit.voice"):
            audio = await synthesize(bot, "gtts")
        assert audio.format == "wav"  # espeak's, not gTTS's mp3
        assert wav_seconds(audio.path) > 0.3
        assert "gtts failed (ConnectionError: Failed to connect); speaking with espeak" in (
            caplog.text
        )


async def test_gtts_that_hangs_is_cut_off_and_espeak_speaks(voice_bot, monkeypatch, caplog):
    release = threading.Event()

    class HangingGTTS(FailingGTTS):
        def write_to_fp(self, fp) -> None:
            release.wait(10)

    monkeypatch.setattr(tts, "gTTS", HangingGTTS)
    try:
        async with voice_bot(config={"tts_engine": "gtts", "tts_timeout": 0.3}) as bot:
            with caplog.at_level(logging.WARNING, "botkit.voice"):
                audio = await synthesize(bot, "gtts")
            assert audio.format == "wav"
            assert "gtts failed (timed out after 0.3 s)" in caplog.text
    finally:
        release.set()


async def test_gtts_gets_its_spelling_of_the_language(voice_bot, monkeypatch, tmp_path):
    seen = []

    class RecordingGTTS(FailingGTTS):
        def __init__(self, text: str, lang: str, timeout: float) -> None:
            seen.append((text, lang, timeout))

        def write_to_fp(self, fp) -> None:
            fp.write(b"ID3 fake mp3")

    monkeypatch.setattr(tts, "gTTS", RecordingGTTS)
    async with voice_bot(config={"tts_timeout": 7}) as bot:
        audio = await synthesize(bot, "gtts", language="zh-cn")
        assert audio.format == "mp3"
        assert await asyncio.to_thread(audio.path.read_bytes) == b"ID3 fake mp3"
        assert seen == [("hello there", "zh-CN", 7.0)]


@pytest.fixture
def openai_key(monkeypatch):
    monkeypatch.setenv("VOICE_TEST_KEY", "sk-test")


async def test_openai_engine_uses_the_speech_endpoint(voice_bot, openai_key):
    async with FakeOpenAI() as server:
        config = {"base_url": server.base_url, "api_key_env": "VOICE_TEST_KEY"}
        config |= {"tts_model": "tts-test", "tts_voice": "nova"}
        async with voice_bot(config=config) as bot:
            audio = await synthesize(bot, "openai", "read this")
            assert audio.path.read_bytes() == silent_wav()
        [request] = [r for r in server.requests if r.path == "/audio/speech"]
        assert request.json == {
            "input": "read this",
            "model": "tts-test",
            "voice": "nova",
            "response_format": "wav",
        }


async def test_openai_engine_failure_is_logged_and_nothing_returned(voice_bot, openai_key, caplog):
    async with FakeOpenAI() as server:
        server.fail_next(500, path="/audio/speech", times=2)
        config = {"base_url": server.base_url, "api_key_env": "VOICE_TEST_KEY"}
        async with voice_bot(config=config) as bot:
            with caplog.at_level(logging.WARNING, "botkit.voice"):
                assert await synthesize(bot, "openai") is None
        assert "The OpenAI speech service refused (HTTP 500)." in caplog.text
        assert "sk-test" not in caplog.text


async def test_openai_engine_without_a_key_says_which_variable(voice_bot, monkeypatch, caplog):
    monkeypatch.delenv("VOICE_TEST_KEY", raising=False)
    async with voice_bot(config={"api_key_env": "VOICE_TEST_KEY"}) as bot:
        with caplog.at_level(logging.WARNING, "botkit.voice"):
            assert await synthesize(bot, "openai") is None
        assert "API key in the VOICE_TEST_KEY environment variable" in caplog.text


async def test_a_system_espeak_ng_is_used_without_espeakng_loader(voice_bot, monkeypatch, tmp_path):
    program = tmp_path / "bin" / "espeak-ng"
    program.parent.mkdir()
    program.write_text(
        "#!/bin/sh\n"
        '# espeak-ng -v LANG -w OUT --stdin\necho "$2" > "$4.lang"\n'
        f'cp "{tmp_path / "clip.wav"}" "$4"\n'
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    with wave.open(str(tmp_path / "clip.wav"), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(16000)
        clip.writeframes(b"\0\0" * 8000)
    monkeypatch.setattr(tts, "espeak_library", lambda: None)
    monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
    async with voice_bot() as bot:
        audio = await synthesize(bot, "espeak", language="de")
        assert wav_seconds(audio.path) == 0.5
        language = await asyncio.to_thread(Path(f"{audio.path}.lang").read_text)
        assert language.strip() == "de"


async def test_a_key_the_service_echoes_back_never_reaches_the_log(voice_bot, monkeypatch, caplog):
    monkeypatch.setenv("VOICE_TEST_KEY", "sk-wrong-secret-123456")
    async with FakeOpenAI(echo_key=True) as server:  # a 401 quotes the key, as OpenAI's does
        config = {"base_url": server.base_url, "api_key_env": "VOICE_TEST_KEY"}
        async with voice_bot(config=config) as bot:
            with caplog.at_level(logging.WARNING, "botkit.voice"):
                assert await synthesize(bot, "openai") is None
    assert "openai speech failed with HTTP 401: Error code: 401 - Incorrect API key" in caplog.text
    assert "sk-wrong-secret-123456" not in caplog.text


async def test_the_default_engine_speaks_offline_without_a_warning(botkit_harness, caplog):
    caplog.set_level(logging.WARNING)
    plugins = {"voice": botkit_voice, "chat": EchoChat()}
    async with botkit_harness(plugins=plugins) as bot:
        await bot.send("!say hello", user=OWNER_IN_VOICE)
        await spoken(bot.bot)
    [(_, played)] = bot.adapter.voice.played
    assert played.suffix == ".wav"  # espeak's, not gTTS's mp3
    assert [r.getMessage() for r in caplog.records if r.name.startswith("botkit.")] == []
