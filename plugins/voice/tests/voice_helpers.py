"""Test helpers: voice stand-ins, a controllable clock, tiny plugins."""

from __future__ import annotations

import asyncio
import os
import re
import time
import wave
from pathlib import Path
from typing import Any

import attrs

from botkit import Audio, Channel, ChannelKind, Context, User, hookimpl
from botkit.adapter import VoiceConnections
from botkit.testing import GUILD, OWNER

PHRASE = "one two three four five"
NUMBER_WORDS = set(PHRASE.split())
LOUNGE = Channel(id="700", name="Lounge", kind=ChannelKind.VOICE, guild_id=GUILD)
STAGE = Channel(id="701", name="Stage", kind=ChannelKind.VOICE, guild_id=GUILD)
OWNER_IN_VOICE = attrs.evolve(OWNER, voice_channel=LOUNGE)
MEMBER_IN_VOICE = User(id="3", name="member", voice_channel=LOUNGE)


def write_wav(path: Path, seconds: float, rate: int = 16_000) -> Path:
    """A WAV file of silence lasting ``seconds``."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return path


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()


class EchoChat:
    """A chat plugin that repeats what it was told."""

    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return f"you said: {text}"


class BeepEngine:
    """A third-party text-to-speech engine called "beep": 0.2 s of silence per call."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.texts: list[str] = []

    @hookimpl
    async def botkit_synthesize(
        self, ctx: Context, text: str, engine: str, language: str
    ) -> Audio | None:
        if engine != "beep":
            return None
        self.texts.append(text)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = write_wav(self.directory / f"beep-{len(self.texts)}.wav", 0.2)
        return Audio(path=path, format="wav")


@attrs.define
class SlowVoice(VoiceConnections):
    """A voice connection whose ``play`` takes ``seconds`` and records what overlapped."""

    seconds: float = 0.05
    played: list[str] = attrs.Factory(list)
    existed: list[bool] = attrs.Factory(list)
    playing: int = 0
    most_at_once: int = 0
    started: asyncio.Event = attrs.Factory(asyncio.Event)  # set when something plays

    async def play(self, guild_id: str, audio: Path) -> Path | None:
        self.playing += 1
        self.started.set()
        self.most_at_once = max(self.most_at_once, self.playing)
        self.existed.append(await asyncio.to_thread(audio.is_file))
        self.played.append(audio.name)
        await asyncio.sleep(self.seconds)
        self.playing -= 1
        return audio


class FakeClock:
    """A monotonic clock that moves only when told; ``sleep`` waits for ``advance``."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        try:
            await future
        finally:
            self._sleepers = [(t, f) for t, f in self._sleepers if f is not future]

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        for deadline, future in list(self._sleepers):
            if deadline <= self.now and not future.done():
                future.set_result(None)
        for _ in range(5):  # let woken tasks run
            await asyncio.sleep(0)


async def spoken(bot: Any) -> None:
    """Wait until every queued utterance has been spoken."""
    for guild in list(bot.plugin_handle("voice").state.guilds.values()):
        await asyncio.wait_for(guild.drain(), 30)


def words(text: str) -> list[str]:
    """The words of a transcript, lower case, without punctuation."""
    return re.findall(r"[a-z0-9']+", text.lower())


def slow(seconds: float) -> int:
    """A pool job that takes ``seconds``; returns its worker's process id."""
    time.sleep(seconds)
    return os.getpid()


def broken() -> None:
    """A pool job that fails."""
    raise ValueError("bad input")
