"""Voice for plugins: join the author's channel, play a file to its end, leave; clear errors."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import discord
import pytest
from botkit_discord import voice as voice_module

import botkit
from botkit import CommandError, Context
from botkit.adapter import VoiceError
from botkit_testkit.discord import PlayedAudio

PCM_FRAME = 3840  # 20 ms of 48 kHz 16-bit stereo


def make_wav(path: Path, seconds: float = 0.2) -> Path:
    """A 440 Hz tone, 48 kHz stereo, as Discord plays it."""
    rate = 48_000
    samples = (
        int(12_000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<hh", s, s) for s in samples))
    return path


class Speaker:
    """``!join``, ``!play``, ``!leave``, ``!where`` over ``ctx.plugin.capabilities.voice``."""

    def __init__(self, audio: Path) -> None:
        self.audio = audio

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        audio = self.audio

        async def join(ctx: Context) -> str:
            await ctx.plugin.capabilities.voice.join(ctx.message.author.voice_channel)
            return "joined"

        async def play(ctx: Context) -> str:
            await ctx.plugin.capabilities.voice.play(ctx.guild_id, audio)
            return "played"

        async def leave(ctx: Context) -> str:
            return (
                "left"
                if await ctx.plugin.capabilities.voice.leave(ctx.guild_id)
                else "I was not in voice"
            )

        async def where(ctx: Context) -> str:
            voice = ctx.plugin.capabilities.voice
            channel = voice.channel(ctx.guild_id)
            return f"{channel.name} {voice.is_connected(ctx.guild_id)}" if channel else "nowhere"

        def speaking(callback):
            async def wrapper(ctx: Context) -> str:
                try:
                    return await callback(ctx)
                except VoiceError as exc:
                    raise CommandError(str(exc)) from None

            wrapper.__name__ = callback.__name__
            return wrapper

        return [botkit.command(speaking(cb)) for cb in (join, play, leave, where)]


@pytest.fixture
def speaker(tmp_path: Path) -> Speaker:
    return Speaker(make_wav(tmp_path / "tone.wav"))


def voice_updates(dh) -> list[tuple[int | None, bool]]:
    return [
        (f["d"]["channel_id"], f["d"]["self_deaf"]) for f in dh.fake.gateway_sent if f["op"] == 4
    ]


async def test_join_play_leave_with_pcm_frames(discord_harness, speaker, monkeypatch) -> None:
    monkeypatch.setattr(voice_module, "opus_available", lambda: True)
    async with discord_harness(plugins={"speaker": speaker}) as dh:
        await dh.join_voice(dh.member)
        joined = await dh.message("!join", author=dh.member)
        where = await dh.message("!where", author=dh.member)
        played = await dh.message("!play", author=dh.member)
        vc = dh.voice_client()
        left = await dh.message("!leave", author=dh.member)
        after = await dh.message("!where", author=dh.member)
    assert [joined.text, where.text, played.text, left.text, after.text] == [
        "joined",
        "Lounge True",
        "played",
        "left",
        "nowhere",
    ]
    assert vc.played == [PlayedAudio("FFmpegPCMAudio", 10, 10 * PCM_FRAME)]
    assert voice_updates(dh) == [(dh.voice_channel, True), (None, False)]
    assert dh.voice_client() is None


async def test_play_opus_from_ffmpeg_when_libopus_is_missing(
    discord_harness, speaker, monkeypatch
) -> None:
    monkeypatch.setattr(voice_module, "opus_available", lambda: False)
    async with discord_harness(plugins={"speaker": speaker}) as dh:
        await dh.join_voice(dh.member)
        await dh.message("!join", author=dh.member)
        played = await dh.message("!play", author=dh.member)
        (audio,) = dh.voice_client().played
    assert played.text == "played"
    assert audio.source == "FFmpegOpusAudio" and audio.frames >= 10 and audio.error is None


async def test_join_when_the_author_is_not_in_voice(discord_harness, speaker) -> None:
    async with discord_harness(plugins={"speaker": speaker}) as dh:
        sent = await dh.message("!join", author=dh.member)
    assert sent.text == "You are not in a voice channel; join one first."
    assert voice_updates(dh) == []


async def test_play_before_joining(discord_harness, speaker) -> None:
    async with discord_harness(plugins={"speaker": speaker}) as dh:
        sent = await dh.message("!play", author=dh.member)
        left = await dh.message("!leave", author=dh.member)
    assert sent.text == "I am not in a voice channel in this server; join one first."
    assert left.text == "I was not in voice"


async def test_missing_voice_libraries_are_explained(discord_harness, speaker, monkeypatch) -> None:
    monkeypatch.setattr(discord.voice_client, "has_nacl", False)
    async with discord_harness(plugins={"speaker": speaker}) as dh:
        await dh.join_voice(dh.member)
        sent = await dh.message("!join", author=dh.member)
    assert (
        sent.text == 'Voice needs PyNaCl, which is not installed; pip install "discord.py[voice]".'
    )


async def test_missing_ffmpeg_is_explained(discord_harness, speaker, monkeypatch) -> None:
    monkeypatch.setattr(voice_module, "ffmpeg_executable", lambda: None)
    async with discord_harness(plugins={"speaker": speaker}) as dh:
        await dh.join_voice(dh.member)
        await dh.message("!join", author=dh.member)
        sent = await dh.message("!play", author=dh.member)
    assert sent.text.startswith("Playing audio needs ffmpeg; install ffmpeg")


async def test_leaving_voice_on_shutdown(discord_harness, speaker) -> None:
    async with discord_harness(plugins={"speaker": speaker}) as dh:
        await dh.join_voice(dh.member)
        await dh.message("!join", author=dh.member)
    assert voice_updates(dh)[-1] == (None, False)
