"""discord.py's real VoiceClient against the test kit's voice server: it connects, its audio
arrives as Opus, and what two people say reaches the host apart, as each one's PCM."""

from __future__ import annotations

import asyncio
import math
import struct
import sys
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from botkit_discord import discord_health, hearing
from botkit_discord.voice import DiscordVoice

import botkit
from botkit import CommandError, Context, User
from botkit.adapter import VoiceError
from botkit_testkit.discord import FakeDiscord
from botkit_testkit.discord.voice_server import AES, XCHACHA, VoiceServer, opus_frames, seal


def tone_wav(path: Path, hz: float, seconds: float, rate: int = 48_000) -> Path:
    count = int(rate * seconds)
    samples = (int(10_000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(count))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def pitch(pcm: bytes, rate: int) -> float:
    """The strongest frequency of 16-bit mono ``pcm``."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


def decode_opus(frames: list[bytes]) -> bytes:
    """Opus frames as 48 kHz mono PCM."""
    codec = av.CodecContext.create("opus", "r")
    codec.sample_rate, codec.layout = 48_000, "stereo"
    resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
    pcm = b""
    for frame in frames:
        for decoded in codec.decode(av.Packet(frame)):
            for out in resampler.resample(decoded):
                pcm += bytes(out.planes[0])[: out.samples * 2]
    return pcm


class Ears:
    """``!join``, ``!hear``, ``!deaf``, ``!play``, ``!hush`` over the adapter's voice."""

    def __init__(self, audio: Path) -> None:
        self.audio = audio
        self.heard: dict[str, bytearray] = {}
        self.names: dict[str, str] = {}
        self.played = asyncio.Event()

    def sound(self, user: User, pcm: bytes) -> None:
        self.names[user.id] = user.name
        self.heard.setdefault(user.id, bytearray()).extend(pcm)

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def join(ctx: Context) -> str:
            await ctx.plugin.capabilities.voice.join(ctx.message.author.voice_channel)
            return "joined"

        async def hear(ctx: Context) -> str:
            try:
                await ctx.plugin.capabilities.voice.listen(
                    ctx.guild_id, self.sound, lambda user_id: True
                )
            except VoiceError as exc:
                raise CommandError(str(exc)) from None
            names = [u.name for u in ctx.plugin.capabilities.voice.members(ctx.guild_id)]
            return f"hearing {', '.join(sorted(names))}"

        async def deaf(ctx: Context) -> str:
            await ctx.plugin.capabilities.voice.listen(ctx.guild_id, None)
            return "deaf"

        async def play(ctx: Context) -> str:
            await ctx.plugin.capabilities.voice.play(ctx.guild_id, self.audio)
            self.played.set()
            return "played"

        async def hush(ctx: Context) -> str:
            return "hushed" if ctx.plugin.capabilities.voice.interrupt(ctx.guild_id) else "silent"

        return [botkit.command(cb) for cb in (join, hear, deaf, play, hush)]


@pytest.fixture
def ears(tmp_path: Path) -> Ears:
    return Ears(tone_wav(tmp_path / "tone.wav", 440, 0.4))


def voice_updates(dh) -> list[tuple[int | None, bool]]:
    return [
        (f["d"]["channel_id"], f["d"]["self_deaf"]) for f in dh.fake.gateway_sent if f["op"] == 4
    ]


async def wait_for(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out: {condition.__doc__ or ''}")


@pytest.mark.parametrize("modes", [(AES, XCHACHA), (XCHACHA,)])
async def test_the_bots_audio_reaches_the_voice_server_as_opus_of_the_file(
    discord_harness, ears, modes
) -> None:
    async with (
        VoiceServer(modes) as server,
        discord_harness(plugins={"ears": ears}, fake=FakeDiscord(voice_server=server)) as dh,
    ):
        await dh.join_voice(dh.member)
        joined = await dh.message("!join", author=dh.member)
        played = await dh.message("!play", author=dh.member)
        await wait_for(lambda: len(server.bot_opus()) >= 20)
    assert [joined.text, played.text] == ["joined", "played"]
    assert server.mode == modes[0]
    identify = next(f["d"] for f in server.received if f["op"] == 0)
    assert identify["user_id"] == str(dh.bot_user.id)
    assert identify["max_dave_protocol_version"] == 1
    pcm = decode_opus(server.bot_opus())
    loud = np.abs(np.frombuffer(pcm, dtype="<i2")).max()
    assert loud > 5000
    assert abs(pitch(pcm, 48_000) - 440) < 10
    assert 0.35 < len(pcm) / 96_000 < 0.6  # 0.4 s, then discord.py's few silence frames


@pytest.mark.parametrize("modes", [(AES, XCHACHA), (XCHACHA,)])
async def test_two_people_speaking_at_once_are_heard_apart(discord_harness, ears, modes) -> None:
    low = opus_frames(tone_wav(ears.audio.parent / "low.wav", 300, 1.0))
    high = opus_frames(tone_wav(ears.audio.parent / "high.wav", 1200, 1.0))
    async with (
        VoiceServer(modes) as server,
        discord_harness(plugins={"ears": ears}, fake=FakeDiscord(voice_server=server)) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.join_voice(dh.admin)
        await dh.message("!join", author=dh.member)
        heard = await dh.message("!hear", author=dh.member)
        await asyncio.gather(
            server.speak(dh.member.id, low, pace=0.005),
            server.speak(dh.admin.id, high, pace=0.005),
        )
        await wait_for(
            lambda: len(ears.heard) == 2 and min(map(len, ears.heard.values())) >= 31_000
        )
        deaf = await dh.message("!deaf", author=dh.member)
    assert heard.text == "hearing Admin, Member"
    assert deaf.text == "deaf"
    member, admin = str(dh.member.id), str(dh.admin.id)
    assert ears.names == {member: "Member", admin: "Admin"}
    assert abs(pitch(bytes(ears.heard[member]), 16_000) - 300) < 10
    assert abs(pitch(bytes(ears.heard[admin]), 16_000) - 1200) < 10
    assert len(ears.heard[member]) >= 31_000 and len(ears.heard[admin]) >= 31_000  # 1 s each
    channel = dh.voice_channel
    assert voice_updates(dh)[:3] == [(channel, True), (channel, False), (channel, True)]


async def test_two_people_in_an_end_to_end_encrypted_call_are_heard_apart(
    discord_harness, ears
) -> None:
    low = opus_frames(tone_wav(ears.audio.parent / "low.wav", 300, 1.0))
    high = opus_frames(tone_wav(ears.audio.parent / "high.wav", 1200, 1.0))
    async with (
        VoiceServer(dave_protocol_version=1) as server,
        discord_harness(plugins={"ears": ears}, fake=FakeDiscord(voice_server=server)) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.join_voice(dh.admin)
        await dh.message("!join", author=dh.member)
        heard = await dh.message("!hear", author=dh.member)
        await server.speak(dh.member.id, low, pace=0.005)  # welcomes the bot into the group
        await server.speak(dh.admin.id, high, pace=0.005)  # a new epoch: the admin joins
        await wait_for(
            lambda: len(ears.heard) == 2 and min(map(len, ears.heard.values())) >= 31_000
        )
        (vc,) = dh.adapter.client.voice_clients
        state = vc._connection
        dave = (state.dave_protocol_version, state.dave_session.epoch, state.dave_session.ready)
    assert heard.text == "hearing Admin, Member"
    assert dave == (1, 2, True)
    assert len(server.bot_commits) == 1  # the bot committed the admin's Add as well
    assert [f["d"]["transition_id"] for f in server.received if f["op"] == 23] == [1, 2]
    member, admin = str(dh.member.id), str(dh.admin.id)
    assert abs(pitch(bytes(ears.heard[member]), 16_000) - 300) < 10
    assert abs(pitch(bytes(ears.heard[admin]), 16_000) - 1200) < 10


async def test_the_bots_audio_in_an_end_to_end_encrypted_call_is_heard_by_the_people(
    discord_harness, ears
) -> None:
    hello = opus_frames(tone_wav(ears.audio.parent / "hello.wav", 300, 0.2))
    async with (
        VoiceServer(dave_protocol_version=1) as server,
        discord_harness(plugins={"ears": ears}, fake=FakeDiscord(voice_server=server)) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.message("!join", author=dh.member)
        await server.speak(dh.member.id, hello, pace=0.005)  # the member and the bot: a group
        await dh.message("!play", author=dh.member)
        await wait_for(lambda: len(server.bot_opus()) >= 20)
        sealed = server.dave_people[dh.member.id].get_decryption_stats(dh.bot_user.id)
    pcm = decode_opus(server.bot_opus())
    assert abs(pitch(pcm, 48_000) - 440) < 10
    assert sealed.successes >= 20  # each frame was end-to-end encrypted, the member opened it


async def test_speakers_are_known_from_client_connect_and_forgotten_on_disconnect(
    discord_harness, ears
) -> None:
    tone = opus_frames(tone_wav(ears.audio.parent / "low.wav", 300, 0.5))
    async with (
        VoiceServer() as server,
        discord_harness(plugins={"ears": ears}, fake=FakeDiscord(voice_server=server)) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.join_voice(dh.admin)
        await dh.message("!join", author=dh.member)
        await dh.message("!hear", author=dh.member)
        await server.client_connect(dh.admin.id)
        await server.speak(dh.admin.id, tone, pace=0.005, announce=False)
        await server.speak(dh.member.id, tone, pace=0.005)
        await wait_for(lambda: len(ears.heard) == 2)
        await server.client_disconnect(dh.member.id)
        await asyncio.sleep(0.1)  # the voice websocket delivers it
        heard = len(ears.heard[str(dh.member.id)])
        admin = len(ears.heard[str(dh.admin.id)])
        await server.speak(dh.member.id, tone, pace=0.005, announce=False)
        await server.speak(dh.admin.id, tone, pace=0.005, announce=False)
        await wait_for(lambda: len(ears.heard[str(dh.admin.id)]) >= admin + 15_000)
    assert len(ears.heard[str(dh.member.id)]) == heard  # their SSRC is no longer theirs


async def test_sound_that_comes_before_its_speaking_event_is_heard_once_it_comes(
    discord_harness, ears
) -> None:
    tone = opus_frames(tone_wav(ears.audio.parent / "low.wav", 300, 0.5))  # 25 packets
    async with (
        VoiceServer() as server,
        discord_harness(plugins={"ears": ears}, fake=FakeDiscord(voice_server=server)) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.message("!join", author=dh.member)
        await dh.message("!hear", author=dh.member)
        await server.speak(dh.member.id, tone, pace=0.005, announce=False)
        await asyncio.sleep(0.1)
        before = dict(ears.heard)
        ssrc = server.speaker(dh.member.id).ssrc
        await server.send(5, {"user_id": str(dh.member.id), "ssrc": ssrc, "speaking": 1})
        await server.speak(dh.member.id, tone, pace=0.005, announce=False)
        await wait_for(lambda: len(ears.heard.get(str(dh.member.id), b"")) >= 26_000)
    assert before == {}  # nobody known yet: kept, not heard
    # the tone among the last 25 packets kept (5 of them silence frames), then all of it
    assert len(ears.heard[str(dh.member.id)]) <= (20 + len(tone)) * 640


async def test_hearing_without_a_voice_connection_is_refused(discord_harness, ears) -> None:
    async with (
        VoiceServer() as server,
        discord_harness(plugins={"ears": ears}, fake=FakeDiscord(voice_server=server)) as dh,
    ):
        heard = await dh.message("!hear", author=dh.member)
    assert heard.text == "I am not in a voice channel in this server; join one first."


async def test_interrupting_stops_the_playback(discord_harness, ears, tmp_path) -> None:
    ears.audio = tone_wav(tmp_path / "long.wav", 440, 10.0)
    async with (
        VoiceServer() as server,
        discord_harness(plugins={"ears": ears}, fake=FakeDiscord(voice_server=server)) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.message("!join", author=dh.member)
        silent = await dh.message("!hush", author=dh.member)
        playing = asyncio.ensure_future(dh.message("!play", author=dh.member))
        await wait_for(lambda: len(server.bot_opus()) >= 10)
        hushed = await dh.message("!hush", author=dh.member)
        await playing
    assert [silent.text, hushed[0].json["content"]] == ["silent", "hushed"]
    assert ears.played.is_set()  # play returned
    assert len(server.bot_opus()) < 250  # 10 s would be 500 packets


class Session:
    """A DAVE session standing in for davey's: 'decrypts' by dropping a prefix per user."""

    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self.calls: list[int] = []

    def decrypt(self, user_id: int, media_type: object, frame: bytes) -> bytes:
        self.calls.append(user_id)
        if not frame.startswith(self.prefix):
            raise ValueError("wrong key")
        return frame[len(self.prefix) :]


class State:
    dave_session: Session | None = None
    dave_protocol_version = 0


def test_dave_frames_are_decrypted_with_the_session_of_the_moment() -> None:
    state = State()
    assert hearing.dave_frame(state, 7, b"opus") == b"opus"  # not end-to-end encrypted
    state.dave_session, state.dave_protocol_version = Session(b"epoch1:"), 1
    assert hearing.dave_frame(state, 7, b"epoch1:opus") == b"opus"
    state.dave_session = Session(b"epoch2:")  # a new epoch: read afresh
    assert hearing.dave_frame(state, 8, b"epoch2:opus") == b"opus"
    assert hearing.dave_frame(state, 8, b"epoch1:opus") is None
    assert hearing.dave_frame(state, 8, b"\xf8\xff\xfe") == b"\xf8\xff\xfe"  # silence
    assert state.dave_session.calls == [8, 8]


def test_doctor_says_when_voice_channels_cannot_be_heard(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)
    (problem,) = discord_health()
    assert problem.message.startswith("discord: voice channels cannot be heard (!listen): PyAV")
    assert (problem.fix, problem.severity) == ("pip install av", "warning")


class Connection:
    """What a Receiver reads of discord.py's voice connection state."""

    def __init__(self, key: bytes) -> None:
        self.secret_key = list(key)
        self.mode = AES
        self.ssrc = 11
        self.dave_session = None
        self.dave_protocol_version = 0


class Client:
    def __init__(self, key: bytes) -> None:
        self._connection = Connection(key)
        self.ssrc_users = {100: 7}


async def test_a_packet_sealed_with_another_key_is_dropped(tmp_path) -> None:
    key, other = bytes(range(32)), bytes(32)
    heard: list[tuple[str, int]] = []
    receiver = hearing.Receiver(
        Client(key),  # type: ignore[arg-type]
        lambda user, pcm: heard.append((user.id, len(pcm))),
        lambda user_id: User(id=str(user_id), name="seven"),
        asyncio.get_running_loop(),
        lambda user_id: True,
    )
    frames = opus_frames(tone_wav(tmp_path / "t.wav", 300, 0.1))
    for n, (frame, sealed_with) in enumerate(zip(frames[:3], (key, other, key), strict=True)):
        header = struct.pack(">BBHII", 0x80, 0x78, n + 1, (n + 1) * 960, 100)
        receiver.packet(seal(AES, sealed_with, header, frame, n + 1))
    await asyncio.sleep(0)
    assert [user for user, _ in heard] == ["7", "7"]
    assert receiver.dropped == 1


async def test_the_sound_of_someone_not_wanted_is_dropped_before_decryption(tmp_path) -> None:
    key = bytes(range(32))
    client = Client(key)
    client.ssrc_users = {}  # SPEAKING has not come yet
    wanted: set[str] = set()
    heard: list[str] = []
    receiver = hearing.Receiver(
        client,  # type: ignore[arg-type]
        lambda user, pcm: heard.append(user.id),
        lambda user_id: User(id=str(user_id), name="seven"),
        asyncio.get_running_loop(),
        wanted.__contains__,
    )
    frames = opus_frames(tone_wav(tmp_path / "t.wav", 300, 0.2))

    def send(n: int) -> None:
        header = struct.pack(">BBHII", 0x80, 0x78, n + 1, (n + 1) * 960, 100)
        receiver.packet(seal(AES, key, header, frames[n], n + 1))

    for n in range(3):
        send(n)  # kept sealed: whose they are is not known yet
    client.ssrc_users[100] = 7
    send(3)  # seven turns out not to be wanted: these four are dropped unopened
    await asyncio.sleep(0)
    dropped, opened = receiver.unwanted, dict(receiver.opened)
    wanted.add("7")  # seven said they want to be heard
    send(4)
    await asyncio.sleep(0)
    assert (dropped, opened) == (4, {})
    assert heard == ["7"] and receiver.opened == {7: 1}


async def test_hearing_without_saying_whose_sound_is_wanted_is_refused() -> None:
    voice = DiscordVoice(client=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="listen needs wants"):
        await voice.listen("1", lambda user, pcm: None)
