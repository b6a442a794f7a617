"""A local Discord voice server: the voice gateway (v8) on a websocket and RTP over UDP.

discord.py's real ``VoiceClient`` connects to it: :class:`FakeDiscord` (made with
``voice_server=server``) answers the bot's voice-state update with a VOICE_SERVER_UPDATE whose
endpoint is ``127.0.0.1:<port>``. discord.py always builds ``wss://<endpoint>/?v=8``; the fake's
HTTP session (which already stands in for discord.py's aiohttp session) hands a URL of this
server to :meth:`VoiceServer.connect`, which opens a real websocket to it over plain ``ws://``
(the one patch point: no TLS in the tests).

The gateway: HELLO, IDENTIFY (the token of the VOICE_SERVER_UPDATE is checked), READY (the bot's
SSRC, the UDP address, the modes), SELECT_PROTOCOL, SESSION_DESCRIPTION (mode, secret key and
``dave_protocol_version``: 0 by default, no end-to-end encryption), SPEAKING,
CLIENTS_CONNECT, CLIENT_CONNECT, CLIENT_DISCONNECT, heartbeats with their ACK, RESUME.
UDP: IP discovery, the bot's own RTP (decrypted and kept,
:attr:`VoiceServer.from_bot`) and people's RTP sent to the bot with :meth:`VoiceServer.speak`,
encrypted as Discord does in ``aead_aes256_gcm_rtpsize`` (AES-GCM from ``cryptography``) or
``aead_xchacha20_poly1305_rtpsize`` (PyNaCl), whichever the bot chose of ``modes`` (Discord's
order: AES-GCM first).

With ``dave_protocol_version=1`` the call is end-to-end encrypted (DAVE) as Discord's are
since 2026-03-01: the server is the MLS external sender
(:class:`~botkit_testkit.discord.dave_sender.ExternalSender`) and sends its package (opcode
25); the bot answers with its key package (26). Each person who speaks first joins the group:
the first one commits the bot's Add and the bot gets the Welcome (30); later ones are proposed
to the bot (27) and the group's commit announced (29); each transition the bot is ready for
(23) is executed (22). People's Opus frames are encrypted with their own ``davey`` session,
and the bot's are decrypted with one (:attr:`VoiceServer.from_bot` holds them decrypted).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs
import davey
from aiohttp import web

from botkit_testkit.discord.dave_sender import APPEND, ExternalSender

AES = "aead_aes256_gcm_rtpsize"
XCHACHA = "aead_xchacha20_poly1305_rtpsize"
MODES = (AES, XCHACHA)
SILENCE_FRAME = b"\xf8\xff\xfe"
TOKEN = "fake-voice-token"
FRAME_SAMPLES = 960  # 20 ms at 48 kHz
MLS_KEY_PACKAGE, MLS_COMMIT_WELCOME = 26, 28  # the bot's binary DAVE opcodes
DAVE_TIMEOUT = 5.0  # seconds the bot gets to send its key package or be ready for a transition


def seal(mode: str, key: bytes, header: bytes, payload: bytes, counter: int) -> bytes:
    """An ``*_rtpsize`` packet: the header in the clear (authenticated), the payload
    encrypted, the 4-byte nonce counter after it."""
    suffix = struct.pack(">I", counter)
    if mode == AES:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        sealed = AESGCM(key).encrypt(suffix + bytes(8), payload, header)
    else:
        import nacl.secret

        sealed = nacl.secret.Aead(key).encrypt(payload, header, suffix + bytes(20)).ciphertext
    return header + sealed + suffix


def unseal(mode: str, key: bytes, packet: bytes) -> tuple[int, int, bytes]:
    """(sequence, ssrc, payload) of an ``*_rtpsize`` packet the bot sent (plain RTP header)."""
    end = 12 + 4 * (packet[0] & 0x0F)
    words = 0
    if packet[0] & 0x10:
        (words,) = struct.unpack_from(">H", packet, end + 2)
        end += 4
    header, sealed, suffix = packet[:end], packet[end:-4], packet[-4:]
    if mode == AES:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        plain = AESGCM(key).decrypt(suffix + bytes(8), sealed, header)
    else:
        import nacl.secret

        plain = nacl.secret.Aead(key).decrypt(sealed, header, suffix + bytes(20))
    sequence, _, ssrc = struct.unpack_from(">HII", packet, 2)
    return sequence, ssrc, plain[4 * words :]


def opus_frames(path: Path, gain: float = 1.0) -> list[bytes]:
    """An audio file as 20 ms Opus frames, 48 kHz stereo, as Discord clients send them."""
    import av

    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = 48_000, "stereo", "s16"
    codec.bit_rate = 64_000
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48_000)
    pcm = b""
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                pcm += bytes(out.planes[0])[: out.samples * 4]
    return encode_pcm(codec, pcm)


def silent_frames(seconds: float) -> list[bytes]:
    """``seconds`` of encoded silence (a client with its microphone open, nobody talking)."""
    import av

    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = 48_000, "stereo", "s16"
    return encode_pcm(codec, bytes(int(seconds * 50) * FRAME_SAMPLES * 4))


def encode_pcm(codec: Any, pcm: bytes) -> list[bytes]:
    import av
    import numpy as np

    size = FRAME_SAMPLES * 4
    pcm += bytes(-len(pcm) % size)
    frames: list[bytes] = []
    for n, start in enumerate(range(0, len(pcm), size)):
        samples = np.frombuffer(pcm[start : start + size], dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48_000, n * FRAME_SAMPLES
        frames += [bytes(p) for p in codec.encode(frame)]
    frames += [bytes(p) for p in codec.encode(None)]
    return frames


@attrs.define
class Speaker:
    """Someone in the call: their SSRC and where their RTP stream stands."""

    user_id: int
    ssrc: int
    sequence: int = 0
    timestamp: int = 0


@attrs.frozen
class BotPacket:
    """One RTP packet the bot sent, decrypted."""

    sequence: int
    ssrc: int
    opus: bytes
    at: float  # the event loop's clock when it arrived


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: VoiceServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server.datagram(data, addr)


class VoiceServer:
    """One voice server for one bot in one channel; ``async with VoiceServer() as server``."""

    def __init__(self, modes: Sequence[str] = MODES, dave_protocol_version: int = 0) -> None:
        self.modes = list(modes)
        self.dave_protocol_version = dave_protocol_version
        self.bot_ssrc = 11
        self.secret_key = os.urandom(32)
        self.mode: str | None = None  # what the bot selected
        self.bot_address: tuple[str, int] | None = None
        self.received: list[dict[str, Any]] = []  # every gateway frame the bot sent
        self.from_bot: list[BotPacket] = []
        self.bot_packet = asyncio.Event()  # set on each packet of the bot's
        self.speakers: dict[int, Speaker] = {}
        self.connections = 0
        self._ssrcs = itertools.count(100)
        self._counter = itertools.count(1)
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self._udp: _Udp | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0
        self.channel_id = 0  # the voice channel (the DAVE group's id), set by FakeDiscord
        self.bot_user_id = 0
        self.dave_sender = ExternalSender()
        self.dave_people: dict[
            int, davey.DaveSession
        ] = {}  # user id -> davey session, in the bot's group
        self.bot_key_package: bytes | None = None
        self.bot_commits: list[bytes] = []  # opcode 28 as the bot sent it (the server's pick
        # is always a person's commit)
        self._key_package = asyncio.Event()
        self._ready: dict[int, asyncio.Event] = {}  # transition id -> the bot said it is ready
        self._transitions = itertools.count(1)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def __aenter__(self) -> VoiceServer:
        app = web.Application()
        app.router.add_get("/", self._gateway)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        loop = asyncio.get_running_loop()
        _, self._udp = await loop.create_datagram_endpoint(
            lambda: _Udp(self), local_addr=("127.0.0.1", self.port)
        )
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._udp is not None and self._udp.transport is not None:
            self._udp.transport.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def serves(self, url: str) -> bool:
        return urlsplit(url).netloc == self.endpoint

    async def connect(self, url: str, **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
        """discord.py's ``wss://`` voice websocket, opened over plain ``ws://`` to this server."""
        assert self._session is not None, "use the VoiceServer in `async with`"
        plain = "ws://" + url.split("://", 1)[1]
        kwargs.pop("proxy", None), kwargs.pop("proxy_auth", None)
        return await self._session.ws_connect(plain, **kwargs)

    # --- the voice gateway ---

    async def send(self, op: int, data: Any) -> None:
        if self._ws is None or self._ws.closed:
            raise RuntimeError("the bot is not connected to the voice server")
        self._seq += 1
        await self._ws.send_str(json.dumps({"op": op, "d": data, "seq": self._seq}))

    async def send_binary(self, op: int, payload: bytes) -> None:
        """A binary (DAVE MLS) frame: the sequence number, the opcode, the payload."""
        if self._ws is None or self._ws.closed:
            raise RuntimeError("the bot is not connected to the voice server")
        self._seq += 1
        await self._ws.send_bytes(struct.pack(">HB", self._seq, op) + payload)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await self.send(8, {"heartbeat_interval": 41250.0, "v": 8})
        async for message in ws:
            if message.type is aiohttp.WSMsgType.BINARY:
                self._binary(message.data)
                continue
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            self.received.append(frame)
            await self._answer(ws, frame["op"], frame.get("d") or {})
        return ws

    async def _answer(self, ws: web.WebSocketResponse, op: int, data: dict[str, Any]) -> None:
        if op == 0:  # IDENTIFY
            if data.get("token") != TOKEN:
                await ws.close(code=4004)
                return
            self.bot_user_id = int(data.get("user_id") or 0)
            await self.send(
                2,
                {
                    "ssrc": self.bot_ssrc,
                    "ip": "127.0.0.1",
                    "port": self.port,
                    "modes": self.modes,
                    "heartbeat_interval": 1,
                },
            )
        elif op == 3:  # HEARTBEAT
            await self.send(6, {"t": data.get("t")})
        elif op == 1:  # SELECT_PROTOCOL
            self.mode = data["data"]["mode"]
            if self.mode not in self.modes:
                await ws.close(code=4016)  # unknown encryption mode
                return
            await self.send(
                4,
                {
                    "mode": self.mode,
                    "secret_key": list(self.secret_key),
                    "dave_protocol_version": self.dave_protocol_version,
                },
            )
            if self.dave_protocol_version:
                await self.send_binary(25, self.dave_sender.package())
            if self.speakers:
                await self.send(11, {"user_ids": [str(u) for u in self.speakers]})
        elif op == 7:  # RESUME
            await self.send(9, None)
        elif op == 23 and data.get("transition_id") in self._ready:  # DAVE_TRANSITION_READY
            self._ready[data["transition_id"]].set()
            await self.send(22, {"transition_id": data["transition_id"]})

    def _binary(self, data: bytes) -> None:
        """The bot's DAVE frames: its key package (26), its commit and welcome (28)."""
        if data[:1] == bytes([MLS_KEY_PACKAGE]):
            self.bot_key_package = data[1:]
            self._key_package.set()
        elif data[:1] == bytes([MLS_COMMIT_WELCOME]):
            self.bot_commits.append(data[1:])

    # --- DAVE: the MLS group of the bot and the people who speak ---

    async def dave_join(self, user_id: int) -> None:
        """``user_id`` (a person, with a ``davey`` session of their own) joins the bot's DAVE
        group; returns once the bot executed the transition."""
        if user_id in self.dave_people:
            return
        await asyncio.wait_for(self._key_package.wait(), DAVE_TIMEOUT)
        newcomer = davey.DaveSession(self.dave_protocol_version, user_id, self.channel_id)
        newcomer.set_external_sender(self.dave_sender.package())
        transition = next(self._transitions)
        self._ready[transition] = asyncio.Event()
        if not self.dave_people:  # the first person commits the bot's Add; the bot is welcomed
            assert self.bot_key_package is not None
            result = self._commit(newcomer, [], self.bot_key_package, self.bot_user_id)
            newcomer.process_commit(result.commit)
            assert result.welcome is not None
            await self.send_binary(30, struct.pack(">H", transition) + result.welcome)
        else:
            members = list(self.dave_people.values())
            package = newcomer.get_serialized_key_package()
            proposals = self.dave_sender.proposals(self.channel_id, members[0].epoch, [package])
            await self.send_binary(27, bytes([APPEND]) + proposals)
            result = self._commit(members[0], members[1:], package, user_id, proposals)
            for member in members:
                member.process_commit(result.commit)
            assert result.welcome is not None
            newcomer.process_welcome(result.welcome)
            await self.send_binary(29, struct.pack(">H", transition) + result.commit)
        self.dave_people[user_id] = newcomer
        await asyncio.wait_for(self._ready[transition].wait(), DAVE_TIMEOUT)

    def _commit(
        self,
        committer: davey.DaveSession,
        others: list[davey.DaveSession],
        package: bytes,
        user_id: int,
        proposals: bytes | None = None,
    ) -> davey.CommitWelcome:
        """``committer``'s commit (and Welcome) of the Add of ``package`` (``user_id``'s);
        ``others`` (the group's other people) keep the proposals it refers to."""
        if proposals is None:
            proposals = self.dave_sender.proposals(self.channel_id, committer.epoch, [package])
        for member in others:
            member.process_proposals(davey.ProposalsOperationType.append, proposals, [user_id])
        result = committer.process_proposals(
            davey.ProposalsOperationType.append, proposals, [user_id]
        )
        assert result is not None, "the proposals made no commit"
        return result

    # --- UDP ---

    def datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) == 74 and data[:2] == b"\x00\x01":  # IP discovery
            self.bot_address = addr
            reply = bytearray(74)
            struct.pack_into(">HHI", reply, 0, 2, 70, struct.unpack_from(">I", data, 4)[0])
            reply[8 : 8 + len(addr[0])] = addr[0].encode()
            struct.pack_into(">H", reply, 72, addr[1])
            assert self._udp is not None and self._udp.transport is not None
            self._udp.transport.sendto(bytes(reply), addr)
            return
        if len(data) < 12 or data[0] >> 6 != 2 or self.mode is None:
            return
        sequence, ssrc, opus = unseal(self.mode, self.secret_key, data)
        if self.dave_people and opus != SILENCE_FRAME:  # what a person in the call hears
            listener = next(iter(self.dave_people.values()))
            with contextlib.suppress(ValueError):  # sent before the bot's group was ready
                opus = bytes(listener.decrypt(self.bot_user_id, davey.MediaType.audio, opus))
        at = asyncio.get_running_loop().time()
        self.from_bot.append(BotPacket(sequence, ssrc, opus, at))
        self.bot_packet.set()

    def speaker(self, user_id: int) -> Speaker:
        found = self.speakers.get(user_id)
        if found is None:
            found = self.speakers[user_id] = Speaker(user_id, next(self._ssrcs))
        return found

    async def client_connect(self, user_id: int) -> None:
        """CLIENT_CONNECT (op 12, as older voice servers send): ``user_id`` joined, with the
        SSRC they will speak on."""
        await self.send(12, {"user_id": str(user_id), "audio_ssrc": self.speaker(user_id).ssrc})

    async def client_disconnect(self, user_id: int) -> None:
        """CLIENT_DISCONNECT (op 13): ``user_id`` left the call."""
        await self.send(13, {"user_id": str(user_id)})

    async def speak(
        self, user_id: int, frames: Sequence[bytes], pace: float = 0.02, *, announce: bool = True
    ) -> float:
        """``user_id`` says ``frames`` (Opus): SPEAKING with their SSRC on the gateway, then
        one RTP packet per frame every ``pace`` seconds, then Discord's five silence frames
        (after which a client sends nothing); ``announce=False``: no SPEAKING first. Returns
        when the last of ``frames`` was sent (the event loop's clock)."""
        if self.mode is None or self.bot_address is None:
            raise RuntimeError("the bot has not finished connecting to the voice server")
        person = self.speaker(user_id)
        if self.dave_protocol_version:
            await self.dave_join(user_id)
        if announce:
            await self.send(5, {"user_id": str(user_id), "ssrc": person.ssrc, "speaking": 1})
        loop = asyncio.get_running_loop()
        start = ended = loop.time()
        for n, frame in enumerate([*frames, *[SILENCE_FRAME] * 5]):
            self.send_rtp(person, frame)
            if n == len(frames) - 1:
                ended = loop.time()
            delay = start + (n + 1) * pace - loop.time()
            await asyncio.sleep(max(0.0, delay))
        return ended

    def send_rtp(self, person: Speaker, frame: bytes) -> None:
        """One packet of ``person``'s to the bot, with a one-word RTP header extension (an
        audio level) as Discord's clients send: its preamble in the clear, its body encrypted."""
        assert self.mode is not None and self._udp is not None and self._udp.transport
        person.sequence = (person.sequence + 1) & 0xFFFF
        person.timestamp = (person.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
        header = struct.pack(
            ">BBHIIHH", 0x90, 0x78, person.sequence, person.timestamp, person.ssrc, 0xBEDE, 1
        )
        session = self.dave_people.get(person.user_id)
        if session is not None:
            frame = bytes(session.encrypt_opus(frame))
        payload = b"\x10\x7f\x00\x00" + frame
        packet = seal(self.mode, self.secret_key, header, payload, next(self._counter))
        self._udp.transport.sendto(packet, self.bot_address)

    def bot_opus(self) -> list[bytes]:
        """The Opus frames the bot sent from its own SSRC, in order."""
        return [p.opus for p in self.from_bot if p.ssrc == self.bot_ssrc]

    def bot_playing(self) -> bool:
        """Whether the bot is sending sound now (it said SPEAKING, or its last packet was not
        one of the silence frames that end a playback)."""
        said = [f["d"]["speaking"] for f in self.received if f["op"] == 5]
        sound = self.bot_opus()
        return bool(said and said[-1]) or bool(sound and sound[-1] != SILENCE_FRAME)

    def bot_spurts(self) -> list[list[bytes]]:
        """The bot's sound, one list of Opus frames per playback (discord.py ends each with
        silence frames), the one under way last."""
        spurts: list[list[bytes]] = [[]]
        for frame in self.bot_opus():
            if frame != SILENCE_FRAME:
                spurts[-1].append(frame)
            elif spurts[-1]:
                spurts.append([])
        return spurts if spurts[-1] else spurts[:-1]
