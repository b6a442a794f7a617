"""Voice receive: packets encrypted here exactly as Discord does, decrypted and decoded."""

from __future__ import annotations

import math
import struct

import av
import nacl.secret
import numpy as np
import pytest
from botkit_discord import receive

KEY = bytes(range(32))


def opus_frames(seconds: float) -> list[bytes]:
    """A 440 Hz tone as 20 ms Opus frames (48 kHz stereo, as Discord clients send)."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = 48_000, "stereo", "s16"
    packets: list[bytes] = []
    for n in range(int(seconds * 50)):
        t = np.arange(n * 960, (n + 1) * 960) / 48_000
        wave = (8000 * np.sin(2 * math.pi * 440 * t)).astype("<i2")
        frame = av.AudioFrame.from_ndarray(
            np.repeat(wave, 2)[None, :], format="s16", layout="stereo"
        )
        frame.sample_rate, frame.pts = 48_000, n * 960
        packets += [bytes(p) for p in codec.encode(frame)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets


def packet(sequence: int, frame: bytes, *, key: bytes = KEY, extension: bytes = b"") -> bytes:
    """An ``aead_xchacha20_poly1305_rtpsize`` packet, as Discord's clients send it."""
    header = bytearray(12)
    header[0] = 0x90 if extension else 0x80
    header[1] = 0x78
    struct.pack_into(">HII", header, 2, sequence, sequence * 960, 4242)
    if extension:
        header += struct.pack(">HH", 0xBEDE, len(extension) // 4)
    nonce = bytearray(24)
    nonce[:4] = struct.pack(">I", sequence)
    box = nacl.secret.Aead(key)
    sealed = box.encrypt(extension + frame, bytes(header), bytes(nonce)).ciphertext
    return bytes(header) + sealed + nonce[:4]


def receive_all(packets: list[bytes]) -> bytes:
    stream = receive.OpusStream()
    pcm = b""
    for data in packets:
        rtp = receive.parse(data)
        pcm += stream.decode(rtp.sequence, receive.decrypt_xchacha(KEY, rtp))
    return pcm


def rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, "<i2").astype(float)
    return float(np.sqrt(np.mean(samples**2)))


def test_a_second_of_voice_becomes_a_second_of_16_khz_sound():
    frames = opus_frames(1.0)
    pcm = receive_all([packet(100 + i, f) for i, f in enumerate(frames)])
    assert abs(len(pcm) / 32_000 - 1.0) < 0.05
    assert rms(pcm[8000:]) > 3000


def test_the_header_extension_is_skipped():
    frames = opus_frames(0.2)
    extension = bytes(8)  # two words, as clients send (audio level, speaking flags)
    rtp = receive.parse(packet(7, frames[0], extension=extension))
    assert receive.decrypt_xchacha(KEY, rtp) == frames[0]
    assert rtp.ssrc == 4242


def test_lost_packets_are_filled_with_silence():
    frames = opus_frames(0.4)
    whole = receive_all([packet(i, f) for i, f in enumerate(frames)])
    lossy = receive_all([packet(i, f) for i, f in enumerate(frames) if i not in (5, 6)])
    assert len(lossy) == len(whole)


def test_a_late_or_repeated_packet_is_dropped():
    frames = opus_frames(0.1)
    stream = receive.OpusStream()
    first = receive.decrypt_xchacha(KEY, receive.parse(packet(10, frames[0])))
    assert stream.decode(10, first)
    assert stream.decode(10, first) == b""
    assert stream.decode(9, first) == b""


def test_discords_silence_frame_gives_no_sound():
    stream = receive.OpusStream()
    assert stream.decode(1, receive.SILENCE_FRAME) == b""


def test_a_packet_sealed_with_another_key_is_refused():
    rtp = receive.parse(packet(1, opus_frames(0.1)[0], key=bytes(32)))
    with pytest.raises(receive.BadPacket, match="does not decrypt"):
        receive.decrypt_xchacha(KEY, rtp)


def test_rtcp_and_keep_alives_are_not_voice():
    with pytest.raises(receive.BadPacket):
        receive.parse(b"\x81\xc9" + bytes(40))  # an RTCP receiver report
    with pytest.raises(receive.BadPacket):
        receive.parse(bytes(8))
