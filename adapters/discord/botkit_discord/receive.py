"""Voice receive, packet by packet: RTP, transport decryption, Opus to 16 kHz mono PCM.

Discord sends each speaker's voice as RTP over UDP. In the ``*_rtpsize`` modes the RTP header
(12 bytes, the CSRCs and, when the X bit is set, the 4-byte extension preamble) is sent in the
clear and authenticated as associated data; the rest (the extension's body, then the Opus
frame) is encrypted; a 32-bit nonce counter follows the ciphertext.
``aead_aes256_gcm_rtpsize`` (``cryptography``) is what Discord offers first,
``aead_xchacha20_poly1305_rtpsize`` (PyNaCl) what every client can do. Each speaker
(SSRC) gets its own :class:`OpusStream`, which fills lost packets with silence.
"""

from __future__ import annotations

import struct

import attrs

HEADER = 12
SAMPLES_PER_PACKET = 960  # 20 ms at 48 kHz
OUT_RATE = 16_000
MAX_GAP_PACKETS = 50  # a longer gap is a pause, not loss: no silence is made up for it
SILENCE_FRAME = b"\xf8\xff\xfe"  # the Opus frame Discord sends when someone stops speaking


class BadPacket(Exception):
    """Not an RTP voice packet, or one that does not decrypt."""


@attrs.frozen
class Rtp:
    """One received voice packet, its payload still encrypted."""

    sequence: int
    timestamp: int
    ssrc: int
    aad: bytes  # what is authenticated but not encrypted
    extension_words: int  # 32-bit words of extension body at the start of the plaintext
    ciphertext: bytes
    nonce: bytes  # the 4-byte counter, as sent


def parse(packet: bytes) -> Rtp:
    """Split an ``*_rtpsize`` packet; BadPacket for anything else (RTCP, keep-alives)."""
    if len(packet) < HEADER + 4 + 16 or packet[0] >> 6 != 2:
        raise BadPacket("not an RTP packet")
    payload_type = packet[1] & 0x7F
    if payload_type != 0x78:
        raise BadPacket(f"payload type {payload_type} is not Opus")
    csrcs = packet[0] & 0x0F
    end = HEADER + 4 * csrcs
    words = 0
    if packet[0] & 0x10:
        (words,) = struct.unpack_from(">H", packet, end + 2)
        end += 4
    sequence, timestamp, ssrc = struct.unpack_from(">HII", packet, 2)
    if len(packet) < end + 4 + 16:
        raise BadPacket("packet too short")
    return Rtp(sequence, timestamp, ssrc, packet[:end], words, packet[end:-4], packet[-4:])


AES = "aead_aes256_gcm_rtpsize"
XCHACHA = "aead_xchacha20_poly1305_rtpsize"


def decrypt(mode: str, secret_key: bytes, rtp: Rtp) -> bytes:
    """The payload of a packet in the negotiated ``mode``; BadPacket for a mode not known."""
    if mode == XCHACHA:
        return decrypt_xchacha(secret_key, rtp)
    if mode == AES:
        return decrypt_aes(secret_key, rtp)
    raise BadPacket(f"cannot decrypt the {mode} mode")


def decrypt_aes(secret_key: bytes, rtp: Rtp) -> bytes:
    """The Opus frame (or DAVE frame) of an ``aead_aes256_gcm_rtpsize`` packet (the 12-byte
    nonce is the 4-byte counter followed by zeros)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        plain = AESGCM(secret_key).decrypt(rtp.nonce + bytes(8), rtp.ciphertext, rtp.aad)
    except InvalidTag:
        raise BadPacket("the packet does not decrypt") from None
    return plain[4 * rtp.extension_words :]


def decrypt_xchacha(secret_key: bytes, rtp: Rtp) -> bytes:
    """The Opus frame (or DAVE frame) of an ``aead_xchacha20_poly1305_rtpsize`` packet."""
    import nacl.exceptions
    import nacl.secret

    box = nacl.secret.Aead(secret_key)
    try:
        plain = box.decrypt(rtp.ciphertext, rtp.aad, rtp.nonce + bytes(20))
    except nacl.exceptions.CryptoError:
        raise BadPacket("the packet does not decrypt") from None
    return plain[4 * rtp.extension_words :]


class OpusStream:
    """One speaker's Opus frames in RTP order, decoded to 16-bit mono PCM at 16 kHz."""

    def __init__(self) -> None:
        import av

        self._codec = av.CodecContext.create("opus", "r")
        self._codec.sample_rate = 48_000
        self._codec.layout = "stereo"
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=OUT_RATE)
        self._last: int | None = None

    def decode(self, sequence: int, frame: bytes) -> bytes:
        """PCM for this packet, preceded by silence for the packets lost before it; b"" for
        a late or repeated packet and for Discord's silence frames."""
        lost = 0
        if self._last is not None:
            step = (sequence - self._last) & 0xFFFF
            if step == 0 or step > 0x8000:
                return b""
            lost = step - 1 if step - 1 <= MAX_GAP_PACKETS else 0
        self._last = sequence
        pcm = b"\0\0" * (lost * SAMPLES_PER_PACKET // 3)
        if frame == SILENCE_FRAME:
            return pcm
        import av

        try:
            frames = self._codec.decode(av.Packet(frame))
        except av.FFmpegError:
            return pcm
        for decoded in frames:
            for out in self._resampler.resample(decoded):
                pcm += bytes(out.planes[0])[: out.samples * 2]
        return pcm
