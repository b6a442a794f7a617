"""Voice messages and audio attachments: converted by ffmpeg, recognised, answered."""

from __future__ import annotations

import speech_recognition as sr
from botkit_voice import process, stt
from voice_helpers import NUMBER_WORDS

from botkit.util import ffmpeg_executable
from botkit_testkit.openai_server import FakeOpenAI

UNREADABLE = "Could not read that audio file: is it a real audio file?"
NOTHING_HEARD = "I could not make out any speech in that audio."


def voice_note(bot, data: bytes):
    return bot.attachment("voice-message.ogg", data, "audio/ogg", voice=True)


async def test_sphinx_transcribes_a_voice_message_offline_and_the_chat_answers(
    voice_bot, voice_message
):
    async with voice_bot() as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
        heard, answer = replies.text.split("\n")
        assert heard.startswith("🎤 ")
        words = heard.removeprefix("🎤 ").split()
        assert len(set(words) & NUMBER_WORDS) >= 2, heard  # PocketSphinx on a synthetic voice
        assert answer == f"you said: {' '.join(words)}"


async def test_show_transcript_off_answers_without_echoing(voice_bot, monkeypatch):
    async def recognise(settings, pcm, language):
        return "what is the weather"

    monkeypatch.setitem(stt.RECOGNISERS, "sphinx", recognise)
    async with voice_bot(config={"show_transcript": False}) as bot:
        clip = await _silence_ogg()
        replies = await bot.dm("", attachments=[voice_note(bot, clip)])
        assert replies.text == "you said: what is the weather"


async def test_openai_transcription_endpoint(voice_bot, voice_message, monkeypatch):
    monkeypatch.setenv("VOICE_TEST_KEY", "sk-test")
    async with FakeOpenAI(transcript="turn on the lights") as server:
        config = {"stt_engine": "openai", "base_url": server.base_url}
        config |= {"api_key_env": "VOICE_TEST_KEY", "stt_model": "whisper-test"}
        async with voice_bot(config=config) as bot:
            await bot.send("!voice language de")
            replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
        assert replies.text == "🎤 turn on the lights\nyou said: turn on the lights"
        [request] = [r for r in server.requests if r.path == "/audio/transcriptions"]
        assert request.form["model"] == "whisper-test"
        assert request.files["file"][:4] == b"RIFF"  # 16 kHz mono WAV
        assert int.from_bytes(request.files["file"][24:28], "little") == 16000


async def test_openai_transcription_failure_gets_a_clear_reply(
    voice_bot, voice_message, monkeypatch
):
    monkeypatch.setenv("VOICE_TEST_KEY", "sk-test")
    async with FakeOpenAI() as server:
        server.fail_next(503, path="/audio/transcriptions", times=2)
        config = {"stt_engine": "openai", "base_url": server.base_url}
        config |= {"api_key_env": "VOICE_TEST_KEY"}
        async with voice_bot(config=config) as bot:
            replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
        assert replies.text.split("\n")[0] == (
            "The OpenAI transcription service refused (HTTP 503)."
        )


async def test_google_gets_the_language_and_its_failure_is_explained(
    voice_bot, voice_message, monkeypatch
):
    asked = []

    def unreachable(self, audio, language="en-US", **kwargs):
        asked.append((language, self.operation_timeout, audio.sample_rate))
        raise sr.RequestError("recognition connection failed: [Errno -3]")

    monkeypatch.setattr(sr.Recognizer, "recognize_google", unreachable)
    async with voice_bot(config={"stt_engine": "google", "stt_timeout": 9}) as bot:
        await bot.send("!voice language ru")
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
        assert replies.text.split("\n")[0] == (
            "Google speech recognition could not be reached; try later."
        )
    assert asked == [("en", 9.0, 16000)]  # a DM uses the defaults, not the guild's


async def test_corrupt_audio_gets_a_clear_reply(voice_bot):
    async with voice_bot() as bot:
        junk = bot.attachment("broken.ogg", b"OggS" + b"\x00garbage" * 100, "audio/ogg")
        replies = await bot.dm("", attachments=[junk])
        assert replies.text == UNREADABLE


async def test_text_sent_as_audio_gets_a_clear_reply(voice_bot):
    async with voice_bot() as bot:
        fake = bot.attachment("notes.mp3", b"these are my shopping notes\n" * 20, "audio/mpeg")
        replies = await bot.dm("", attachments=[fake])
        assert replies.text == UNREADABLE


async def test_non_audio_attachment_is_not_transcribed(voice_bot):
    async with voice_bot() as bot:
        replies = await bot.dm("", attachments=[bot.attachment("notes.txt", b"hello")])
        assert replies.text == "I can read text, images and audio; this attachment is none."


async def test_too_large_audio_is_refused_before_reading(voice_bot, voice_message):
    async with voice_bot(config={"max_audio_mb": 0.001}) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
        assert replies.text.split("\n")[0] == "That audio is too large (limit 0.001 MB)."


async def test_too_long_audio_is_refused(voice_bot, voice_message):
    async with voice_bot(config={"max_audio_seconds": 0.5}) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
        assert replies.text.split("\n")[0] == "That audio is too long (limit 0.5 seconds)."


async def test_conversion_is_stopped_at_its_time_out(voice_bot, voice_message):
    async with voice_bot(config={"ffmpeg_timeout": 0.001}) as bot:
        replies = await bot.dm("", attachments=[voice_note(bot, voice_message)])
        assert replies.text.split("\n")[0] == (
            "Converting that audio took too long; send a shorter clip."
        )


async def test_silence_is_reported_as_nothing_heard(voice_bot):
    async with voice_bot() as bot:
        clip = await _silence_ogg(0.05)
        replies = await bot.dm("", attachments=[voice_note(bot, clip)])
        assert replies.text == NOTHING_HEARD


async def _silence_ogg(seconds: float = 0.5) -> bytes:
    """Ogg/Opus silence made by ffmpeg."""
    argv = [ffmpeg_executable(), "-loglevel", "error", "-f", "lavfi", "-i"]
    argv += [f"anullsrc=r=48000:cl=mono:d={seconds}", "-c:a", "libopus", "-f", "ogg", "pipe:1"]
    return (await process.run(argv, None, 30)).stdout
