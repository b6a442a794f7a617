"""What the worker processes of :mod:`botkit_voice.pool` run.

This module is imported in every worker, so it imports only the standard library at the top;
each job imports its engine when it first runs, and a worker keeps a loaded Whisper model for
its next jobs.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

_whisper_models: dict[tuple[str, int], Any] = {}


def serve(conn: Connection) -> None:
    """Run jobs sent through ``conn`` until the bot closes it (or dies)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the bot, which stops us
    while True:
        try:
            job, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", job(*args))
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


def espeak(text: str, language: str, out: str) -> str:
    """Speak ``text`` into the WAV file ``out``; a note when another voice had to speak."""
    from botkit_voice import espeak_worker

    pcm, rate, voice = espeak_worker.synthesize(text, language)
    espeak_worker.write_wav(out, pcm, rate)
    if voice in (language.lower(), espeak_worker.ALIASES.get(language.lower())):
        return ""
    return f"no espeak-ng voice for {language!r}; spoke with {voice!r}"


def sphinx(pcm: bytes, rate: int, width: int, model: str) -> str:
    """PocketSphinx through SpeechRecognition with the installed ``model`` (e.g. en-US)."""
    import speech_recognition as sr

    try:
        return sr.Recognizer().recognize_sphinx(sr.AudioData(pcm, rate, width), language=model)
    except sr.UnknownValueError:
        return ""


def whisper(pcm: bytes, model_dir: str, language: str, threads: int) -> str:
    """faster-whisper on 16 kHz 16-bit mono ``pcm`` with the model in ``model_dir``.

    ``language`` is a code like "en" or "pt-BR"; a language the model does not know is
    detected instead, and an English-only model always hears English.
    """
    import numpy as np

    model = _whisper_models.get((model_dir, threads))
    if model is None:
        from faster_whisper import WhisperModel

        model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
        _whisper_models[(model_dir, threads)] = model
    audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
    code = language.split("-")[0].lower()
    known = model.supported_languages  # ["en"] for an English-only model
    chosen = code if code in known else ("en" if known == ["en"] else None)  # None: detect
    segments, _ = model.transcribe(audio, language=chosen, beam_size=5)
    return " ".join(segment.text.strip() for segment in segments)
