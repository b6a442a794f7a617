"""Hearing on discord.py's live voice connection: who speaks on which SSRC, and their sound.

:class:`ListeningVoiceClient` is discord.py's ``VoiceClient`` plus what receiving needs: the
voice gateway's SPEAKING events (``user_id`` and ``ssrc``), CLIENT_CONNECT where a server
sends one (``audio_ssrc``) and CLIENT_DISCONNECT map SSRCs to users; it can also speak
``aead_aes256_gcm_rtpsize`` (Discord offers it first) when ``cryptography`` is installed.
A :class:`Receiver` registers a socket listener on the connection's UDP socket (discord.py
2.7's ``add_socket_listener``): in discord.py's socket reader thread, off the event loop,
each packet is parsed, decrypted in the negotiated mode,
passed through DAVE when the call is end-to-end encrypted (``davey``'s
``DaveSession.decrypt``, the session read afresh for every packet: its keys change with every
epoch), and decoded to 16 kHz mono PCM per speaker; the PCM is handed to the event loop.
Consent comes first: a packet whose speaker the listener does not want (``wants(user_id)``)
is dropped before it is decrypted or decoded. Packets that come before the SPEAKING event
naming their SSRC are kept still sealed (half a second) and, once it comes, heard if their
speaker is wanted, else dropped.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import discord
import discord.voice_state

from botkit.adapter import User
from botkit_discord import receive

log = logging.getLogger("botkit.discord")

EARLY_PACKETS = 25  # kept per SSRC until SPEAKING says whose it is (half a second)
EARLY_SSRCS = 32  # SSRCs whose early packets are kept at once
SPEAKING = 5
CLIENT_CONNECT = 12  # older servers: a user's audio SSRC as they join
CLIENT_DISCONNECT = 13


def _aes_available() -> bool:
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
    except ImportError:
        return False
    return True


def hearing_problem() -> str | None:
    """Why voice channels cannot be heard here (PyAV with its Opus decoder), or None."""
    try:
        import av

        av.CodecContext.create("opus", "r")
    except ImportError as exc:
        return f"PyAV does not import ({exc})"
    except Exception as exc:
        return f"PyAV has no Opus decoder ({exc})"
    return None


class ListeningVoiceClient(discord.VoiceClient):
    """discord.py's voice client, knowing which user speaks on which SSRC."""

    supported_modes = (
        (receive.AES, *discord.VoiceClient.supported_modes)
        if _aes_available()
        else discord.VoiceClient.supported_modes
    )

    def __init__(self, client: discord.Client, channel: discord.abc.Connectable) -> None:
        self.ssrc_users: dict[int, int] = {}  # written on the loop, read in the reader thread
        super().__init__(client, channel)

    def create_connection_state(self) -> discord.voice_state.VoiceConnectionState:
        return discord.voice_state.VoiceConnectionState(self, hook=self._voice_event)

    async def _voice_event(self, ws: Any, msg: dict[str, Any]) -> None:
        op, data = msg.get("op"), msg.get("d") or {}
        if op == SPEAKING and "user_id" in data and "ssrc" in data:
            self.ssrc_users[int(data["ssrc"])] = int(data["user_id"])
        elif op == CLIENT_CONNECT and "user_id" in data and data.get("audio_ssrc"):
            self.ssrc_users[int(data["audio_ssrc"])] = int(data["user_id"])
        elif op == CLIENT_DISCONNECT and "user_id" in data:
            gone = int(data["user_id"])
            for ssrc in [s for s, u in self.ssrc_users.items() if u == gone]:
                del self.ssrc_users[ssrc]

    def _encrypt_aead_aes256_gcm_rtpsize(self, header: bytes, data: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = struct.pack(">I", self._incr_nonce)
        self.checked_add("_incr_nonce", 1, 4294967295)
        sealed = AESGCM(bytes(self.secret_key)).encrypt(
            nonce + bytes(8), bytes(data), bytes(header)
        )
        return bytes(header) + sealed + nonce


def dave_frame(state: Any, user_id: int, frame: bytes) -> bytes | None:
    """The Opus frame inside ``frame``: decrypted by the connection's DAVE session when the
    call is end-to-end encrypted, as is otherwise; None when it does not decrypt."""
    session = state.dave_session  # afresh for every packet: a new epoch brings new keys
    if session is None or not state.dave_protocol_version or frame == receive.SILENCE_FRAME:
        return frame
    import davey

    try:
        return bytes(session.decrypt(user_id, davey.MediaType.audio, frame))
    except Exception as exc:
        log.debug("a DAVE frame of user %s did not decrypt: %s", user_id, exc)
        return None


class Receiver:
    """The sound of everyone speaking on one voice connection, per speaker, to ``heard``."""

    def __init__(
        self,
        vc: ListeningVoiceClient,
        heard: Callable[[User, bytes], None],
        user_of: Callable[[int], User | None],
        loop: asyncio.AbstractEventLoop,
        wants: Callable[[str], bool],
    ) -> None:
        self.vc = vc
        self.heard = heard
        self.wants = wants
        self.user_of = user_of
        self.loop = loop
        self.streams: dict[int, receive.OpusStream] = {}  # per SSRC; only the reader uses them
        self.early: dict[int, deque[receive.Rtp]] = {}  # packets of SSRCs not announced yet
        self.dropped = 0  # packets that did not parse or decrypt
        self.unwanted = 0  # packets of people not heard, dropped still sealed
        self.opened: Counter[int] = Counter()  # packets decrypted, per user id

    def start(self) -> None:
        self.vc._connection.add_socket_listener(self.packet)

    def stop(self) -> None:
        self.vc._connection.remove_socket_listener(self.packet)

    def packet(self, data: bytes) -> None:
        """One UDP datagram, in discord.py's socket reader thread."""
        state = self.vc._connection
        try:
            rtp = receive.parse(data)
        except receive.BadPacket:
            return  # RTCP, IP discovery, keep-alives
        key = state.secret_key
        if not key or rtp.ssrc == state.ssrc:
            return
        user_id = self.vc.ssrc_users.get(rtp.ssrc)
        if user_id is None:  # SPEAKING comes over the websocket, maybe after the first packets
            early = self.early.get(rtp.ssrc)
            if early is None:
                if len(self.early) >= EARLY_SSRCS:
                    return
                early = self.early[rtp.ssrc] = deque(maxlen=EARLY_PACKETS)
            early.append(rtp)
            return
        earlier = self.early.pop(rtp.ssrc, ())
        if not self.wants(str(user_id)):  # no consent: not even decrypted
            self.unwanted += 1 + len(earlier)
            return
        for packet in earlier:
            self.hear(state, packet, user_id, bytes(key))
        self.hear(state, rtp, user_id, bytes(key))

    def hear(self, state: Any, rtp: receive.Rtp, user_id: int, key: bytes) -> None:
        """Decrypt and decode one packet of ``user_id``'s; hand the PCM to the loop."""
        self.opened[user_id] += 1
        try:
            frame = dave_frame(state, user_id, receive.decrypt(state.mode, key, rtp))
        except receive.BadPacket:
            frame = None
        if frame is None:
            self.dropped += 1
            return
        stream = self.streams.get(rtp.ssrc)
        if stream is None:
            stream = self.streams[rtp.ssrc] = receive.OpusStream()
        pcm = stream.decode(rtp.sequence, frame)
        if pcm:
            self.loop.call_soon_threadsafe(self.deliver, user_id, pcm)

    def deliver(self, user_id: int, pcm: bytes) -> None:
        """On the event loop: the speaker as a botkit user, and their sound."""
        user = self.user_of(user_id)
        if user is not None:
            self.heard(user, pcm)
