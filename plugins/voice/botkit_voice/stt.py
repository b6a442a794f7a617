"""Speech-to-text: read an audio attachment, convert it with ffmpeg, recognise the speech.

PocketSphinx and Whisper compute in the worker processes of :mod:`botkit_voice.pool`; the
online engines wait on the network in a thread or with the async client.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from botkit import Attachment
from botkit.util import safe_filename
from botkit_voice import convert, jobs, pool, whisper_model
from botkit_voice.errors import ModelMissing, VoiceProblem
from botkit_voice.openai_api import load, openai_client, openai_failure
from botkit_voice.settings import VoiceSettings

log = logging.getLogger("botkit.voice")


def _sphinx_data() -> Path:
    """SpeechRecognition's PocketSphinx models, found without importing it."""
    spec = importlib.util.find_spec("speech_recognition")
    if spec is None or not spec.submodule_search_locations:
        return Path("speech_recognition-is-not-installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pocketsphinx-data"


SPHINX_DATA = _sphinx_data()
SPHINX_DEFAULT = "en-US"
MIN_SECONDS = 0.1
POOLED = ("auto", "whisper", "sphinx")  # engines that recognise in the worker pool
BUSY = "I am busy with other voice messages right now; try again in a minute."

Recogniser = Callable[[VoiceSettings, bytes, str], Awaitable[str]]


async def transcribe(
    settings: VoiceSettings, data_dir: Path, attachment: Attachment, language: str
) -> str:
    """The words spoken in ``attachment`` ("" when none); VoiceProblem for unusable audio."""
    pcm = await read_pcm(settings, data_dir, attachment)
    return await recognise(settings, data_dir, pcm, language)


async def read_pcm(settings: VoiceSettings, data_dir: Path, attachment: Attachment) -> bytes:
    """The attachment as 16 kHz mono PCM, within the size and length limits (VoiceProblem)."""
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
        data_dir / "voice" / "tmp",
        max_seconds=settings.max_audio_seconds,
        time_limit=settings.ffmpeg_timeout,
    )
    if convert.seconds(pcm) > settings.max_audio_seconds:
        raise VoiceProblem(too_long)
    return pcm


async def recognise(settings: VoiceSettings, data_dir: Path, pcm: bytes, language: str) -> str:
    """The words in 16 kHz mono PCM, by the engine ``stt_engine`` means here."""
    if convert.seconds(pcm) < MIN_SECONDS:
        return ""
    engine = await chosen_engine(settings, data_dir)
    if engine == "whisper":
        try:
            text = await whisper(settings, pcm, language, data_dir)
        except ModelMissing:
            if settings.stt_engine != "auto":
                raise
            log.warning("no Whisper model to use; PocketSphinx listens instead")
            text = await RECOGNISERS["sphinx"](settings, pcm, language)
    else:
        text = await RECOGNISERS[engine](settings, pcm, language)
    return " ".join(text.split())


def spare_worker(settings: VoiceSettings) -> bool:
    """Whether recognition would start at once in the worker pool: ``stt_engine`` runs there
    (not a paid service) and a worker is free with nobody waiting."""
    if settings.stt_engine not in POOLED:
        return False
    return pool.pool(settings.workers).spare


async def chosen_engine(settings: VoiceSettings, data_dir: Path) -> str:
    """The engine ``stt_engine`` means here: ``auto`` is whisper when it can run, else sphinx."""
    if settings.stt_engine != "auto":
        return settings.stt_engine
    if not whisper_model.installed():
        return "sphinx"
    found = await asyncio.to_thread(whisper_model.local_model, settings.whisper_model, data_dir)
    if found is None and whisper_model.is_directory_setting(settings.whisper_model):
        log.warning("Whisper model directory %s is missing; using sphinx", settings.whisper_model)
        return "sphinx"
    return "whisper"


async def in_pool(settings: VoiceSettings, job: Callable[..., str], *args: object) -> str:
    """Run a recognition job in the worker pool, its failures turned into replies."""
    workers = pool.pool(settings.workers)
    try:
        return await workers.run(
            job, *args, time_limit=settings.stt_timeout, max_waiting=settings.max_waiting
        )
    except pool.Busy as exc:
        log.warning("speech recognition refused: %s", exc)
        raise VoiceProblem(BUSY) from None
    except TimeoutError:
        raise VoiceProblem("Recognising that audio took too long; send a shorter clip.") from None


async def sphinx(settings: VoiceSettings, pcm: bytes, language: str) -> str:
    """PocketSphinx, offline, through SpeechRecognition, in a worker process."""
    model = await asyncio.to_thread(sphinx_language, language)
    try:
        return await in_pool(settings, jobs.sphinx, pcm, convert.RATE, convert.SAMPLE_WIDTH, model)
    except pool.JobFailed as exc:
        log.error("pocketsphinx is not usable: %s", exc)
        raise VoiceProblem("Offline speech recognition is not set up on this bot.") from None


async def whisper(settings: VoiceSettings, pcm: bytes, language: str, data_dir: Path) -> str:
    """faster-whisper, offline once the model is here, in a worker process."""
    if not whisper_model.installed():
        log.error("stt_engine is whisper but faster-whisper is not installed")
        raise VoiceProblem(
            "Whisper is not installed on this bot; "
            "its owner can pip install 'botkit-voice[whisper]'."
        )
    model = await whisper_model.model_dir(settings.whisper_model, data_dir)
    workers = pool.pool(settings.workers)
    threads = max(1, pool.default_size() // workers.size)
    try:
        return await in_pool(settings, jobs.whisper, pcm, str(model), language, threads)
    except pool.JobFailed as exc:
        log.error("whisper failed on model %s: %s", model, exc)
        raise VoiceProblem("Speech recognition failed; the details are in the log.") from None


def sphinx_language(language: str) -> str:
    """The installed PocketSphinx model for ``language`` (only en-US ships), else en-US."""
    if not SPHINX_DATA.is_dir():
        return SPHINX_DEFAULT
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
    """Google's free web speech API through SpeechRecognition, in a worker thread (I/O)."""
    sr = await load("speech_recognition")

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
    openai = await load("openai")
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
