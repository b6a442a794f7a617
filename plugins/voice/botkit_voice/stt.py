"""Speech-to-text: read an audio attachment, convert it with ffmpeg, recognise the speech."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import openai
import speech_recognition as sr

from botkit import Attachment
from botkit.paths import safe_filename
from botkit_voice import convert
from botkit_voice.errors import VoiceProblem
from botkit_voice.openai_api import openai_client, openai_failure
from botkit_voice.settings import VoiceSettings

log = logging.getLogger("botkit.voice")

SPHINX_DATA = Path(sr.__file__).parent / "pocketsphinx-data"
SPHINX_DEFAULT = "en-US"
MIN_SECONDS = 0.1

Recogniser = Callable[[VoiceSettings, bytes, str], Awaitable[str]]


async def transcribe(
    settings: VoiceSettings, directory: Path, attachment: Attachment, language: str
) -> str:
    """The words spoken in ``attachment`` ("" when none); VoiceProblem for unusable audio."""
    limit = settings.max_audio_mb * 1024 * 1024
    too_large = f"That audio is too large (limit {settings.max_audio_mb:g} MB)."
    too_long = f"That audio is too long (limit {settings.max_audio_seconds:g} seconds)."
    if attachment.size > limit:
        raise VoiceProblem(too_large)
    if attachment.duration is not None and attachment.duration > settings.max_audio_seconds:
        raise VoiceProblem(too_long)
    try:
        data = await asyncio.wait_for(attachment.read(), settings.stt_timeout)
    except TimeoutError:
        raise VoiceProblem("Downloading that audio took too long; try again.") from None
    if len(data) > limit:
        raise VoiceProblem(too_large)
    if not data:
        raise VoiceProblem("That audio file is empty.")
    suffix = Path(safe_filename(attachment.filename)).suffix[:10]
    pcm = await convert.to_pcm(
        data,
        suffix,
        directory,
        max_seconds=settings.max_audio_seconds,
        time_limit=settings.ffmpeg_timeout,
    )
    if convert.seconds(pcm) > settings.max_audio_seconds:
        raise VoiceProblem(too_long)
    if convert.seconds(pcm) < MIN_SECONDS:
        return ""
    text = await RECOGNISERS[settings.stt_engine](settings, pcm, language)
    return " ".join(text.split())


async def sphinx(settings: VoiceSettings, pcm: bytes, language: str) -> str:
    """PocketSphinx, offline, through SpeechRecognition, in a worker thread."""

    def recognise() -> str:
        try:
            return sr.Recognizer().recognize_sphinx(
                sr.AudioData(pcm, convert.RATE, convert.SAMPLE_WIDTH),
                language=sphinx_language(language),
            )
        except sr.UnknownValueError:
            return ""

    try:
        return await asyncio.wait_for(asyncio.to_thread(recognise), settings.stt_timeout)
    except TimeoutError:
        raise VoiceProblem("Recognising that audio took too long; send a shorter clip.") from None
    except sr.RequestError as exc:
        log.error("pocketsphinx is not usable: %s", exc)
        raise VoiceProblem("Offline speech recognition is not set up on this bot.") from None


def sphinx_language(language: str) -> str:
    """The installed PocketSphinx model for ``language`` (only en-US ships), else en-US."""
    models = {p.name.lower(): p.name for p in SPHINX_DATA.iterdir() if p.is_dir()}
    wanted = language.lower()
    found = models.get(wanted) or next(
        (name for key, name in models.items() if key.split("-")[0] == wanted.split("-")[0]),
        None,
    )
    if found is None:
        log.info("no PocketSphinx model for %r; using %s", language, SPHINX_DEFAULT)
    return found or SPHINX_DEFAULT


async def google(settings: VoiceSettings, pcm: bytes, language: str) -> str:
    """Google's free web speech API through SpeechRecognition, in a worker thread."""

    def recognise() -> str:
        recognizer = sr.Recognizer()
        recognizer.operation_timeout = settings.stt_timeout
        try:
            return recognizer.recognize_google(
                sr.AudioData(pcm, convert.RATE, convert.SAMPLE_WIDTH), language=language
            )
        except sr.UnknownValueError:
            return ""

    try:
        return await asyncio.wait_for(asyncio.to_thread(recognise), settings.stt_timeout)
    except TimeoutError:
        raise VoiceProblem("Google speech recognition did not answer in time.") from None
    except (sr.RequestError, OSError) as exc:
        log.warning("google speech recognition failed: %s", exc)
        raise VoiceProblem("Google speech recognition could not be reached; try later.") from None


async def openai_transcribe(settings: VoiceSettings, pcm: bytes, language: str) -> str:
    """The transcription endpoint of the configured OpenAI-compatible API."""
    try:
        async with openai_client(settings, settings.stt_timeout) as client:
            result = await client.audio.transcriptions.create(
                file=("voice.wav", convert.wav_bytes(pcm), "audio/wav"),
                model=settings.stt_model,
                language=language.split("-")[0].lower(),
            )
    except openai.APIError as exc:
        raise openai_failure(exc, "transcription") from exc
    return result.text


RECOGNISERS: dict[str, Recogniser] = {
    "sphinx": sphinx,
    "google": google,
    "openai": openai_transcribe,
}
