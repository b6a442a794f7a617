"""Hearing an end-to-end encrypted (DAVE) call: Opus frames that a speaker's real davey
session encrypted reach the bot's hearing, which decrypts them with the bot's own session
(``state.dave_session``, as discord.py keeps it) into the speaker's sound."""

from __future__ import annotations

import asyncio
import logging
import math
import struct
import wave
from pathlib import Path

import davey
import numpy as np
import pytest
from botkit_discord import hearing

from botkit import User
from botkit_testkit.discord.dave_sender import ExternalSender, form_group
from botkit_testkit.discord.voice_server import AES, opus_frames, seal

CHANNEL, BOT, SPEAKER, STRANGER, THIRD = 5678, 99, 7, 8, 9
SSRCS = {100: SPEAKER, 200: STRANGER, 300: THIRD}
KEY = bytes(range(32))


def tone_frames(path: Path, hz: float, seconds: float) -> list[bytes]:
    """A sine tone as 20 ms Opus frames, as a Discord client sends them."""
    rate = 48_000
    samples = np.sin(2 * math.pi * hz * np.arange(int(rate * seconds)) / rate) * 10_000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return opus_frames(path)


def pitch(pcm: bytes) -> float:
    """The strongest frequency of 16 kHz 16-bit mono ``pcm``."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / 16_000)[spectrum.argmax()])


def session(user_id: int) -> davey.DaveSession:
    return davey.DaveSession(davey.DAVE_PROTOCOL_VERSION, user_id, CHANNEL)


class Connection:
    """What a Receiver reads of discord.py's voice connection state."""

    def __init__(self, dave_session: davey.DaveSession | None) -> None:
        self.secret_key = list(KEY)
        self.mode = AES
        self.ssrc = 11
        self.dave_session = dave_session
        self.dave_protocol_version = 0 if dave_session is None else 1


class Client:
    def __init__(self, dave_session: davey.DaveSession | None) -> None:
        self._connection = Connection(dave_session)
        self.ssrc_users = dict(SSRCS)


class Ear:
    """A Receiver on a stand-in connection; what it hears, per user id."""

    def __init__(self, dave_session: davey.DaveSession | None) -> None:
        self.heard: dict[str, bytearray] = {}
        self.receiver = hearing.Receiver(
            Client(dave_session),  # type: ignore[arg-type]
            lambda user, pcm: self.heard.setdefault(user.id, bytearray()).extend(pcm),
            lambda user_id: User(id=str(user_id), name=f"user {user_id}"),
            asyncio.get_running_loop(),
            lambda user_id: True,
        )

    def send(self, ssrc: int, n: int, payload: bytes) -> None:
        """RTP packet ``n`` of ``ssrc``'s, sealed with the call's transport key."""
        header = struct.pack(">BBHII", 0x80, 0x78, n, n * 960, ssrc)
        self.receiver.packet(seal(AES, KEY, header, payload, n))

    async def settled(self) -> dict[str, bytes]:
        await asyncio.sleep(0)
        return {user: bytes(pcm) for user, pcm in self.heard.items()}


async def plain(frames: list[bytes], lost: int | None = None) -> bytes:
    """What a call without DAVE gives of the speaker's ``frames`` (packet ``lost`` lost)."""
    ear = Ear(None)
    for n, frame in enumerate(frames, 1):
        if n != lost:
            ear.send(100, n, frame)
    return (await ear.settled())["7"]


@pytest.fixture
def call() -> tuple[ExternalSender, davey.DaveSession, davey.DaveSession]:
    """The voice server, and the speaker's and the bot's sessions in one DAVE group."""
    server, speaker, bot = ExternalSender(), session(SPEAKER), session(BOT)
    form_group(server, [speaker, bot])
    return server, speaker, bot


@pytest.fixture
def frames(tmp_path: Path) -> list[bytes]:
    return tone_frames(tmp_path / "tone.wav", 300, 0.3)


def test_dave_frame_gives_back_the_opus_frame_the_speaker_encrypted(call, frames) -> None:
    _, speaker, bot = call
    sealed = [speaker.encrypt_opus(frame) for frame in frames]
    state = Connection(bot)
    assert all(s != f for s, f in zip(sealed, frames, strict=True))
    assert [hearing.dave_frame(state, SPEAKER, s) for s in sealed] == frames


async def test_an_encrypted_speaker_is_heard_as_in_a_call_without_dave(call, frames) -> None:
    _, speaker, bot = call
    ear = Ear(bot)
    for n, frame in enumerate(frames, 1):
        ear.send(100, n, speaker.encrypt_opus(frame))
    heard = await ear.settled()
    assert heard == {"7": await plain(frames)}
    assert abs(pitch(heard["7"]) - 300) < 10
    assert ear.receiver.dropped == 0


async def test_a_stranger_outside_the_group_is_dropped_with_a_log_line_and_the_speaker_still_heard(
    call, frames, caplog
) -> None:
    server, speaker, bot = call
    stranger, other = session(STRANGER), session(1)
    form_group(server, [stranger, other])  # a group of their own, keys the bot does not have
    ear = Ear(bot)
    with caplog.at_level(logging.DEBUG, "botkit.discord"):
        for n, frame in enumerate(frames, 1):
            ear.send(200, n, stranger.encrypt_opus(frame))
            ear.send(100, n, speaker.encrypt_opus(frame))
    assert await ear.settled() == {"7": await plain(frames)}
    assert ear.receiver.dropped == len(frames)
    assert f"a DAVE frame of user {STRANGER} did not decrypt" in caplog.text


async def test_a_corrupted_frame_is_dropped_and_the_stream_goes_on(call, frames, caplog) -> None:
    _, speaker, bot = call
    ear = Ear(bot)
    with caplog.at_level(logging.DEBUG, "botkit.discord"):
        for n, frame in enumerate(frames, 1):
            sealed = bytearray(speaker.encrypt_opus(frame))
            if n == 5:
                sealed[2] ^= 0x01  # a flipped bit in the encrypted Opus
            ear.send(100, n, bytes(sealed))
    heard = await ear.settled()
    assert ear.receiver.dropped == 1
    assert f"a DAVE frame of user {SPEAKER} did not decrypt" in caplog.text
    assert heard == {"7": await plain(frames, lost=5)}  # as if that one packet were lost
    assert heard["7"] != await plain(frames)


async def test_a_new_epoch_keeps_the_speaker_heard_and_brings_the_newcomer(
    call, frames, tmp_path
) -> None:
    server, speaker, bot = call
    ear = Ear(bot)
    half = len(frames) // 2
    for n, frame in enumerate(frames[:half], 1):
        ear.send(100, n, speaker.encrypt_opus(frame))
    third = session(THIRD)
    form_group(server, [third], members=[speaker, bot])  # everyone's keys change
    later = [speaker.encrypt_opus(frame) for frame in frames[half:]]
    for n, sealed in enumerate(later, half + 1):
        ear.send(100, n, sealed)
    high = tone_frames(tmp_path / "high.wav", 800, 0.2)
    for n, frame in enumerate(high, 1):
        ear.send(300, n, third.encrypt_opus(frame))
    heard = await ear.settled()
    assert (bot.epoch, ear.receiver.dropped) == (2, 0)
    assert heard["7"] == await plain(frames)
    assert abs(pitch(heard["9"]) - 800) < 10
    # the later frames were sealed with the new epoch's keys: the newcomer opens them too
    assert [third.decrypt(SPEAKER, davey.MediaType.audio, s) for s in later] == frames[half:]


async def test_a_call_that_becomes_end_to_end_encrypted_is_heard_throughout(call, frames) -> None:
    _, speaker, bot = call
    ear = Ear(None)  # DAVE protocol version 0: frames as they are
    half = len(frames) // 2
    for n, frame in enumerate(frames[:half], 1):
        ear.send(100, n, frame)
    state = ear.receiver.vc._connection
    state.dave_session, state.dave_protocol_version = bot, 1  # as discord.py's reinit does
    for n, frame in enumerate(frames[half:], half + 1):
        ear.send(100, n, speaker.encrypt_opus(frame))
    assert await ear.settled() == {"7": await plain(frames)}
    assert ear.receiver.dropped == 0
