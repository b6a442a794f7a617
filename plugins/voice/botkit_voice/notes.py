"""Answers as voice messages: speech encoded as OGG/Opus with its duration and waveform.

Discord sends such a file with the voice-message flag, Telegram with ``sendVoice``; the
adapter says whether it can (``ctx.plugin.capabilities.voice_notes``).
"""

from __future__ import annotations

import array
import asyncio
import base64
import logging
from pathlib import Path

import attrs

from botkit import Context, File, Reply
from botkit.util import ffmpeg_executable
from botkit_voice import convert, process, speaker, tts
from botkit_voice.errors import Busy, VoiceProblem
from botkit_voice.settings import VoiceSettings

log = logging.getLogger("botkit.voice")

FILENAME = "voice-message.ogg"
WAVEFORM_POINTS = 256


def wanted(ctx: Context, settings: VoiceSettings) -> bool:
    """Whether this reply is to be a voice message, by ``speak_when`` and the platform."""
    if not ctx.plugin.capabilities.voice_notes:
        return False
    if settings.speak_when == "always":
        return True
    spoke = any(a.is_voice_message for a in ctx.message.attachments)
    return settings.speak_when == "voice" and spoke


async def answer(
    ctx: Context, settings: VoiceSettings, reply: Reply, spoken: str, was_cut: bool
) -> Reply | None:
    """The reply with a voice message of ``spoken``; None (the text alone) if speech failed."""
    try:
        note = await voice_note(ctx, settings, spoken)
    except Busy:  # logged once per burst; the text goes out alone
        return None
    except VoiceProblem as exc:
        log.warning("no voice message for %s: %s", ctx.message.id, exc)
        return None
    if note is None:
        return None
    post_text = settings.also_post_text or was_cut or bool(reply.files)
    return attrs.evolve(reply, text=reply.text if post_text else "", files=(*reply.files, note))


async def voice_note(ctx: Context, settings: VoiceSettings, text: str) -> File | None:
    """``text`` spoken in the author's voice as a voice-message file; None if no engine spoke."""
    audio = await speaker.synthesize(ctx, text)
    if audio is None:
        return None
    try:
        return await encode(audio.path, settings.ffmpeg_timeout)
    finally:
        await tts.remove(audio.path)


async def encode(source: Path, time_limit: float) -> File:
    """The audio file ``source`` as an OGG/Opus voice message; VoiceProblem if ffmpeg fails."""
    ffmpeg = ffmpeg_executable()
    if ffmpeg is None:
        raise VoiceProblem("ffmpeg is missing")
    decode = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(source)]
    decode += ["-ac", "1", "-ar", str(convert.RATE), "-f", "s16le", "pipe:1"]
    pcm = await _ffmpeg(decode, None, time_limit)
    opus = [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(convert.RATE)]
    opus += ["-ac", "1", "-i", "pipe:0", "-c:a", "libopus", "-b:a", "32k", "-f", "ogg", "pipe:1"]
    data = await _ffmpeg(opus, pcm, time_limit)
    shape = await asyncio.to_thread(waveform, pcm)
    return File(
        FILENAME, data=data, voice=True, duration=round(convert.seconds(pcm), 2), waveform=shape
    )


async def _ffmpeg(argv: list[str], stdin: bytes | None, time_limit: float) -> bytes:
    try:
        result = await process.run(argv, stdin, time_limit)
    except TimeoutError:
        raise VoiceProblem(f"ffmpeg took longer than {time_limit:g} s") from None
    if result.returncode != 0:
        log.error("ffmpeg could not make a voice message: %s", result.error_text())
        raise VoiceProblem("ffmpeg could not make a voice message")
    return result.stdout


def waveform(pcm: bytes, points: int = WAVEFORM_POINTS) -> str:
    """Discord's waveform: base64 of up to ``points`` loudness bytes (0-255), peak per slice."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if not samples:
        return base64.b64encode(b"\0").decode()
    count = min(points, len(samples))
    step = len(samples) / count
    peaks = bytearray()
    for i in range(count):
        chunk = samples[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)]
        peak = max(max(chunk), -min(chunk))
        peaks.append(min(255, peak * 255 // 32767))
    return base64.b64encode(bytes(peaks)).decode()
