"""Piper through the voice plugin: !voice engine piper, !say, voices, time-outs, doctor."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import attrs
import pytest
from botkit_piper import voices

from botkit.adapter import VoiceConnections
from botkit.testing import GUILD, OWNER

LOUNGE_ID = "700"


def in_voice():
    from botkit import Channel, ChannelKind

    lounge = Channel(id=LOUNGE_ID, name="Lounge", kind=ChannelKind.VOICE, guild_id=GUILD)
    return attrs.evolve(OWNER, voice_channel=lounge)


def wav_info(path) -> tuple[int, float]:
    with wave.open(str(path), "rb") as clip:
        return clip.getframerate(), clip.getnframes() / clip.getframerate()


@attrs.define
class KeepingVoice(VoiceConnections):
    """Voice connections that keep a copy of each played file and where it was."""

    directory: Path = attrs.field(kw_only=True)
    played: list[tuple[Path, Path]] = attrs.Factory(list)  # (original, copy)

    async def play(self, guild_id: str, audio: Path) -> Path | None:
        copy = self.directory / f"played-{len(self.played)}.wav"
        await asyncio.to_thread(shutil.copy, audio, copy)
        self.played.append((audio, copy))
        return audio


async def drained(bot) -> None:
    for speaker in list(bot.bot.plugin_handle("voice").state.guilds.values()):
        await asyncio.wait_for(speaker.drain(), 60)


async def test_say_speaks_with_piper_once_chosen(piper_bot, tmp_path):
    channels = KeepingVoice(directory=tmp_path)
    async with piper_bot(channels=channels) as bot:
        chosen = await bot.send("!voice engine piper")
        said = await bot.send("!say hello", user=in_voice())
        await drained(bot)
    assert chosen.text == "Voice engine set to piper."
    assert said.text == "🔊 Saying it in Lounge."
    [(original, played)] = channels.played
    assert original.parent == bot.data_dir / "piper" / "tmp"  # Piper's, not espeak's
    rate, seconds = wav_info(played)
    assert rate == 22050  # the joe voice's sample rate
    assert 0.3 < seconds < 5
    work = bot.data_dir / "piper" / "tmp"  # made by the synthesis, if it started in time
    assert not work.is_dir() or not any(work.iterdir())  # removed once played


async def test_piper_is_not_asked_for_other_engines(piper_bot, tmp_path):
    channels = KeepingVoice(directory=tmp_path)
    async with piper_bot(channels=channels) as bot:
        await bot.send("!say hello", user=in_voice())
        await drained(bot)
    [(original, _)] = channels.played
    assert original.parent == bot.data_dir / "voice" / "tmp"  # espeak's


async def test_a_missing_voice_file_is_explained(piper_bot, tmp_path):
    async with piper_bot(piper={"voice": str(tmp_path / "nobody.onnx")}) as bot:
        replies = await bot.send("!voice engine piper")
    assert replies.text == (
        f"The piper engine cannot speak here: Piper cannot speak: "
        f"{tmp_path / 'nobody.onnx'} or its .onnx.json is missing."
    )


async def test_a_voice_chosen_from_chat_is_never_downloaded(piper_bot, monkeypatch):
    import piper.download_voices

    def no_download(voice, download_dir, force_redownload=False):
        raise AssertionError("downloaded a voice named in chat")

    monkeypatch.setattr(piper.download_voices, "download_voice", no_download)
    async with piper_bot() as bot:
        replies = await bot.send("!voice me piper en_US-amy-medium")
    assert replies.text == (
        "The piper engine cannot speak here: Piper cannot speak: "
        "the Piper voice en_US-amy-medium is not installed on this bot."
    )


async def test_the_configured_voice_is_downloaded_on_first_use(piper_bot, monkeypatch, caplog):
    import piper.download_voices

    fetched = []

    def download_voice(voice, download_dir, force_redownload=False):  # the bundled files
        fetched.append(voice)
        for name in voices.BUNDLED_SHA256:
            target = download_dir / name.replace(voices.BUNDLED_VOICE, voice)
            target.symlink_to(voices.bundled_dir() / name)

    monkeypatch.setattr(piper.download_voices, "download_voice", download_voice)
    async with piper_bot(piper={"voice": "en_GB-test-medium"}) as bot:
        with caplog.at_level(logging.INFO, "botkit.plugin.piper"):
            replies = await bot.send("!voice engine piper")
            await bot.send("!voice engine piper")
    target = bot.data_dir / "piper" / "voices"
    assert replies.text == "Voice engine set to piper."
    assert fetched == ["en_GB-test-medium"]
    assert f"downloading the Piper voice en_GB-test-medium into {target} (first use)" in (
        caplog.text
    )


async def test_synthesis_past_its_time_out_is_explained(piper_bot):
    async with piper_bot(piper={"timeout": 0.001}) as bot:
        replies = await bot.send("!voice engine piper")
        await asyncio.sleep(1.5)  # the abandoned synthesis ends and its file goes
    assert replies.text == (
        "The piper engine cannot speak here: Piper took longer than 0.001 s to speak."
    )
    work = bot.data_dir / "piper" / "tmp"  # made by the synthesis, if it started in time
    assert not work.is_dir() or not any(work.iterdir())


def test_the_packaged_voice_matches_the_sums_in_the_plugin(tmp_path):
    found = voices.local(voices.BUNDLED_VOICE, tmp_path)
    assert found is not None and found.model.parent == voices.bundled_dir()


def test_a_damaged_packaged_voice_is_not_used(tmp_path, monkeypatch):
    for name in voices.BUNDLED_SHA256:
        (tmp_path / name).write_bytes(b"{}")
    monkeypatch.setattr(voices, "bundled_dir", lambda: tmp_path)
    assert voices.local(voices.BUNDLED_VOICE, tmp_path / "data") is None


async def test_doctor_says_the_voice_is_present(piper_bot):
    async with piper_bot() as bot:
        answers = await bot.call_all("botkit_health", plugin=bot.bot.plugin_handle("piper"))
    [line] = dict(answers)["piper"]
    assert (line.severity, line.message.split(":")[0]) == (
        "info",
        "Piper voice en_US-joe-medium present",
    )


@pytest.mark.parametrize("module", ["piper", "onnxruntime", "numpy"])
def test_importing_the_plugin_imports_no_engine(module):
    code = f"import sys, botkit_piper; print({module!r} in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


async def test_piper_switched_off_in_a_server_is_said_so(piper_bot):
    async with piper_bot() as bot:
        await bot.send("!plugin disable piper")
        replies = await bot.send("!voice engine piper")
    assert replies.text == (
        "The piper plugin is switched off here; an admin can switch it on: `!plugin enable piper`."
    )


async def test_a_user_chooses_piper_with_the_packaged_voice(piper_bot, tmp_path):
    channels = KeepingVoice(directory=tmp_path)
    async with piper_bot(channels=channels) as bot:
        chosen = await bot.send("!voice me piper en_US-joe-medium", user=in_voice())
        await bot.send("!say hello", user=in_voice())
        await drained(bot)
    assert chosen.text == "Your voice: piper, en_US-joe-medium (in every server)."
    [(original, _)] = channels.played  # the probe phrase is not played, only "hello"
    assert original.parent == bot.data_dir / "piper" / "tmp"


async def test_espeak_speaks_when_piper_fails(piper_bot, tmp_path, caplog):
    channels = KeepingVoice(directory=tmp_path)
    config = {"piper": {"timeout": 0.001}, "voice": {"tts_engine": "piper"}}
    async with piper_bot(channels=channels, **config) as bot:
        with caplog.at_level(logging.WARNING, "botkit.voice"):
            await bot.send("!say hello", user=in_voice())
            await drained(bot)
    [(original, _)] = channels.played
    assert original.parent == bot.data_dir / "voice" / "tmp"  # espeak's
    assert "the piper engine could not speak (Piper took longer than 0.001 s to speak)" in (
        caplog.text
    )


async def test_auto_speaks_with_piper_when_its_voice_is_here(piper_bot, tmp_path):
    channels = KeepingVoice(directory=tmp_path)
    async with piper_bot(channels=channels, voice={"tts_engine": "auto"}) as bot:
        await bot.send("!say hello", user=in_voice())
        await drained(bot)
    [(original, _)] = channels.played
    assert original.parent == bot.data_dir / "piper" / "tmp"


async def test_auto_speaks_with_espeak_in_a_language_piper_has_no_voice_for(piper_bot, tmp_path):
    channels = KeepingVoice(directory=tmp_path)
    voice = {"tts_engine": "auto", "language": "de"}
    async with piper_bot(channels=channels, voice=voice) as bot:
        await bot.send("!say hallo", user=in_voice())
        await drained(bot)
    [(original, _)] = channels.played
    assert original.parent == bot.data_dir / "voice" / "tmp"


async def test_auto_never_downloads_a_voice(piper_bot, tmp_path, monkeypatch):
    monkeypatch.setattr(voices, "fetch", lambda *args: pytest.fail("downloaded"))
    channels = KeepingVoice(directory=tmp_path)
    piper = {"voice": "en_US-lessac-medium"}
    async with piper_bot(channels=channels, voice={"tts_engine": "auto"}, piper=piper) as bot:
        await bot.send("!say hello", user=in_voice())
        await drained(bot)
    [(original, _)] = channels.played
    assert original.parent == bot.data_dir / "voice" / "tmp"
