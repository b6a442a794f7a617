"""Spoken audio played through discord.py's FFmpeg source, as the Discord adapter plays it."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import attrs
import discord
from voice_helpers import MEMBER_IN_VOICE, spoken

from botkit.adapter import VoiceConnections
from botkit.util import ffmpeg_executable

FRAME_SECONDS = discord.opus.Encoder.FRAME_LENGTH / 1000


@attrs.define
class FramePlayer(VoiceConnections):
    """A voice connection that reads discord.FFmpegPCMAudio frame by frame, like discord.py."""

    frames: list[int] = attrs.Factory(list)
    seconds: list[float] = attrs.Factory(list)

    async def play(self, guild_id: str, audio: Path) -> Path | None:
        self.seconds.append(await asyncio.to_thread(_wav_seconds, audio))
        self.frames.append(await asyncio.to_thread(_read_frames, audio))
        return audio


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()


def _read_frames(path: Path) -> int:
    source = discord.FFmpegPCMAudio(str(path), executable=ffmpeg_executable())
    count = 0
    try:
        while frame := source.read():
            assert len(frame) == discord.opus.Encoder.FRAME_SIZE
            count += 1
    finally:
        source.cleanup()
    return count


async def test_spoken_reply_plays_frame_by_frame_for_its_whole_length(voice_bot):
    player = FramePlayer()
    async with voice_bot(voice=player) as bot:
        await bot.send("!say one two three four five", user=MEMBER_IN_VOICE)
        await spoken(bot.bot)
    [frames] = player.frames
    [seconds] = player.seconds
    assert seconds > 1
    assert abs(frames - seconds / FRAME_SECONDS) <= 2
