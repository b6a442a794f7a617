"""ffmpeg turns any audio (Ogg/Opus voice messages, MP3, M4A, WAV...) into 16 kHz mono PCM."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
import wave
from pathlib import Path

from botkit.util import ffmpeg_executable
from botkit_voice import process
from botkit_voice.errors import VoiceProblem

log = logging.getLogger("botkit.voice")

RATE = 16_000
SAMPLE_WIDTH = 2
BYTES_PER_SECOND = RATE * SAMPLE_WIDTH
UNREADABLE = "Could not read that audio file: is it a real audio file?"


def seconds(pcm: bytes) -> float:
    return len(pcm) / BYTES_PER_SECOND


async def to_pcm(
    data: bytes, suffix: str, directory: Path, *, max_seconds: float, time_limit: float
) -> bytes:
    """Decode ``data`` to 16-bit 16 kHz mono PCM, reading at most ``max_seconds`` + 1 s of it.

    The input goes through a temporary file in ``directory`` (MP4/M4A need seeking).
    """
    ffmpeg = ffmpeg_executable()
    if ffmpeg is None:
        log.error("ffmpeg not found: pip install imageio-ffmpeg, or install ffmpeg")
        raise VoiceProblem("This bot cannot read audio: ffmpeg is missing. Tell the bot's owner.")
    source = directory / f"{uuid.uuid4().hex}{suffix}"
    await asyncio.to_thread(_write, source, data)
    argv = [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-t",
        f"{max_seconds + 1:g}",
        "-i",
        str(source),
        "-vn",
        "-ac",
        "1",
        "-ar",
        str(RATE),
        "-f",
        "s16le",
        "pipe:1",
    ]
    try:
        result = await process.run(argv, None, time_limit)
    except TimeoutError:
        log.warning("ffmpeg took longer than %g s converting %s", time_limit, source.name)
        raise VoiceProblem("Converting that audio took too long; send a shorter clip.") from None
    finally:
        await asyncio.to_thread(source.unlink, missing_ok=True)
    if result.returncode != 0:
        log.info("ffmpeg could not read an attachment: %s", result.error_text())
        raise VoiceProblem(UNREADABLE)
    return result.stdout


def wav_bytes(pcm: bytes) -> bytes:
    """PCM from :func:`to_pcm` as a WAV file's bytes."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
