"""Sound for listening tests: tones stand in for speech, a voice that can hear."""

from __future__ import annotations

import asyncio
import math
import struct
from collections.abc import Callable
from pathlib import Path

import attrs

from botkit import Channel, User
from botkit.testing import RecordingVoice

RATE = 16_000


def tone(seconds: float, level: int = 8000) -> bytes:
    """A 220 Hz tone: loud enough to count as speech."""
    count = int(seconds * RATE)
    return struct.pack(
        f"<{count}h", *(int(level * math.sin(2 * math.pi * 220 * i / RATE)) for i in range(count))
    )


def silence(seconds: float) -> bytes:
    return b"\0\0" * int(seconds * RATE)


@attrs.define
class HearingVoice(RecordingVoice):
    """A voice that hears: tests say things through ``speak``; ``interrupt`` is recorded."""

    heard: dict[str, Callable[[User, bytes], None]] = attrs.Factory(dict)
    wants: dict[str, Callable[[str], bool]] = attrs.Factory(dict)
    refused: list[str] = attrs.Factory(list)  # whose sound was dropped as a platform drops it
    people: list[User] | None = None  # members of the voice channel (None: not told)
    interrupted: list[str] = attrs.Factory(list)
    playing_until: asyncio.Event | None = None  # play waits for this (or an interrupt)

    async def listen(
        self,
        guild_id: str,
        heard: Callable[[User, bytes], None] | None,
        wants: Callable[[str], bool] | None = None,
    ) -> None:
        if heard is None:
            self.heard.pop(guild_id, None)
            self.wants.pop(guild_id, None)
        else:
            assert wants is not None, "a hearing voice is told whose sound is wanted"
            self.heard[guild_id] = heard
            self.wants[guild_id] = wants

    def members(self, guild_id: str) -> list[User]:
        return list(self.people or [])

    def interrupt(self, guild_id: str) -> bool:
        self.interrupted.append(guild_id)
        if self.playing_until is not None:
            self.playing_until.set()
        return True

    async def play(self, guild_id: str, audio: Path) -> Path | None:
        self.played.append((guild_id, audio))
        if self.playing_until is not None:
            await self.playing_until.wait()
        return audio

    def speak(self, guild_id: str, user: User, pcm: bytes, chunk: float = 0.02) -> None:
        """Hand ``pcm`` over as a platform would: in 20 ms pieces, none of someone not
        wanted."""
        size = int(chunk * RATE) * 2
        if not self.wants[guild_id](user.id):
            self.refused.append(user.id)
            return
        for start in range(0, len(pcm), size):
            self.heard[guild_id](user, pcm[start : start + size])


def channel_of(user: User) -> Channel:
    assert user.voice_channel is not None
    return user.voice_channel
