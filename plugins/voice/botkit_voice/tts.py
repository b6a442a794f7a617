"""Text-to-speech engines: gtts (online, falls back to espeak), espeak (offline), openai."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from botkit import Audio
from botkit_voice import jobs, pool, process
from botkit_voice.errors import Busy, VoiceProblem
from botkit_voice.openai_api import load, openai_client, openai_failure
from botkit_voice.settings import VoiceSettings

log = logging.getLogger("botkit.voice")

ENGINES = ("gtts", "espeak", "openai")
BUSY = "I am busy, try again in a moment."
FAILED = "The offline voice (espeak-ng) failed; the details are in the log."


def gTTS(text: str, lang: str, timeout: float) -> Any:
    """A gtts.gTTS, imported on first use (gtts pulls in requests)."""
    from gtts import gTTS as make

    return make(text, lang=lang, timeout=timeout)


def describe(exc: BaseException, timeout: float) -> str:
    """A short reason for a log line."""
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    return f"{type(exc).__name__}: {exc}"


def new_path(directory: Path, extension: str) -> Path:
    """A file name in ``directory`` that no other synthesis uses."""
    return directory / f"{uuid.uuid4().hex}.{extension}"


async def remove(path: Path) -> None:
    await asyncio.to_thread(path.unlink, missing_ok=True)


def remove_stale(directory: Path, older_than: float) -> None:
    """Delete files a crashed run left in ``directory`` (blocking)."""
    if not directory.is_dir():
        return
    cutoff = time.time() - older_than
    for path in directory.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


async def synthesize(
    settings: VoiceSettings, directory: Path, engine: str, text: str, language: str
) -> Audio:
    """Speak ``text`` into a new file in ``directory``; raise VoiceProblem saying why not."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    if engine == "gtts":
        try:
            return await gtts_speak(settings, directory, text, language)
        except Exception as exc:
            reason = describe(exc, settings.tts_timeout)
            log.warning("gtts failed (%s); speaking with espeak instead", reason)
        return await espeak_speak(settings, directory, text, language)
    if engine == "espeak":
        return await espeak_speak(settings, directory, text, language)
    if engine == "openai":
        return await openai_speak(settings, directory, text)
    raise ValueError(f"unknown engine {engine!r}")


async def gtts_speak(settings: VoiceSettings, directory: Path, text: str, language: str) -> Audio:
    """Google Translate's voice, in a worker thread; its own HTTP time-out ends the thread."""

    def fetch() -> bytes:
        buffer = io.BytesIO()
        gTTS(text, lang=gtts_language(language), timeout=settings.tts_timeout).write_to_fp(buffer)
        return buffer.getvalue()

    mp3 = await asyncio.wait_for(asyncio.to_thread(fetch), settings.tts_timeout)
    path = new_path(directory, "mp3")
    await asyncio.to_thread(path.write_bytes, mp3)
    return Audio(path=path, format="mp3")


def gtts_language(language: str) -> str:
    """gTTS's spelling of ``language`` ("pt-br" -> "pt", "zh-cn" -> "zh-CN"), else as given."""
    from gtts.lang import tts_langs

    known = {code.lower(): code for code in tts_langs()}
    code = language.lower()
    return known.get(code) or known.get(code.split("-")[0]) or language


def espeak_command(language: str, out: Path) -> list[str]:
    """An ``espeak-ng`` program on PATH speaking into ``out`` (blocking: looks for it)."""
    binary = shutil.which("espeak-ng")
    if binary is not None:
        return [binary, "-v", language, "-w", str(out), "--stdin"]
    raise VoiceProblem("The offline voice (espeak-ng) is not installed on this bot.")


@functools.cache
def espeak_library() -> str | None:
    """Path of the libespeak-ng that espeakng-loader ships, if it is there (looked up once)."""
    import espeakng_loader  # here: it loads ctypes, which only speaking needs

    try:
        path = Path(espeakng_loader.get_library_path())
    except (OSError, RuntimeError):
        return None
    return str(path) if path.is_file() else None


async def espeak_speak(settings: VoiceSettings, directory: Path, text: str, language: str) -> Audio:
    """espeak-ng: espeakng-loader's library in a worker process, else the espeak-ng program."""
    path = new_path(directory, "wav")
    try:
        if await asyncio.to_thread(espeak_library) is not None:
            await espeak_in_pool(settings, text, language, path)
        else:
            await espeak_program(settings, text, language, path)
    except BaseException:
        await remove(path)
        raise
    return Audio(path=path, format="wav")


async def espeak_in_pool(settings: VoiceSettings, text: str, language: str, path: Path) -> None:
    workers = pool.pool(settings.workers)
    try:
        note = await workers.run(
            jobs.espeak,
            text,
            language,
            str(path),
            time_limit=settings.tts_timeout,
            max_waiting=settings.max_waiting,
            urgent=True,
        )
    except TimeoutError:
        raise VoiceProblem(f"espeak-ng took longer than {settings.tts_timeout:g} s.") from None
    except pool.Busy:  # logged by the caller, once per burst, with the space
        raise Busy(BUSY) from None
    except pool.JobFailed as exc:
        log.error("espeak-ng failed: %s", exc)
        raise VoiceProblem(FAILED) from None
    if note:
        log.info("espeak-ng: %s", note)


async def espeak_program(settings: VoiceSettings, text: str, language: str, path: Path) -> None:
    """The espeak-ng program in a subprocess, killed at the time-out."""
    argv = await asyncio.to_thread(espeak_command, language, path)
    try:
        result = await process.run(argv, text.encode("utf-8"), settings.tts_timeout)
    except TimeoutError:
        raise VoiceProblem(f"espeak-ng took longer than {settings.tts_timeout:g} s.") from None
    if result.returncode != 0 or not await asyncio.to_thread(path.is_file):
        log.error("espeak-ng failed (exit %s): %s", result.returncode, result.error_text())
        raise VoiceProblem(FAILED)
    if result.stderr:
        log.info("espeak-ng: %s", result.error_text())


async def openai_speak(settings: VoiceSettings, directory: Path, text: str) -> Audio:
    """The speech endpoint of the configured OpenAI-compatible API."""
    openai = await load("openai")
    path = new_path(directory, "wav")
    try:
        async with openai_client(settings, settings.tts_timeout) as client:
            response = await client.audio.speech.create(
                model=settings.tts_model,
                voice=settings.tts_voice,
                input=text,
                response_format="wav",
            )
    except openai.APIError as exc:
        raise openai_failure(exc, "speech") from exc
    await asyncio.to_thread(path.write_bytes, response.content)
    return Audio(path=path, format="wav")
