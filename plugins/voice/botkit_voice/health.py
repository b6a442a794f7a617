"""What ``botkit doctor`` reports about voice: ffmpeg, Discord voice libraries, engines, models."""

from __future__ import annotations

import importlib
from pathlib import Path

from botkit import Problem
from botkit.util import ffmpeg_executable
from botkit_voice import engines, whisper_model
from botkit_voice.settings import VoiceSettings

DISCORD_VOICE_LIBRARIES = (("nacl", "PyNaCl"), ("davey", "davey"))
OFFLINE = ("espeak", "whisper", "sphinx")
NEEDS_NETWORK = {"gtts": "network", "google": "network", "openai": "network and API key"}


def problems(settings: VoiceSettings, data_dir: Path) -> list[Problem]:
    """Every voice problem found (blocking: imports modules and loads libespeak-ng)."""
    found = []
    if ffmpeg_executable() is None:
        found.append(
            Problem(
                "ffmpeg not found: voice messages cannot be read nor replies played",
                "pip install imageio-ffmpeg, or install ffmpeg",
            )
        )
    for module, name in DISCORD_VOICE_LIBRARIES:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            found.append(
                Problem(
                    f"{name} does not import ({exc}): Discord voice channels need it",
                    "pip install 'discord.py[voice]'",
                    "warning",
                )
            )
    tts = engines.tts_problems(settings)
    stt = engines.stt_problems(settings, data_dir)
    found += _engine_problems("text-to-speech", settings.tts_engine, tts)
    found += _engine_problems("speech-to-text", engines.chosen_stt(settings), stt)
    return found + overview(settings, data_dir, tts | stt)


def overview(
    settings: VoiceSettings, data_dir: Path, status: dict[str, engines.Unavailable | None]
) -> list[Problem]:
    """Info lines: which engines work offline here, which need a network or key, the model."""
    offline = [name for name in OFFLINE if status.get(name) is None]
    online = [f"{name} ({NEEDS_NETWORK[name]})" for name in NEEDS_NETWORK]
    lines = [
        f"speech engines working offline here: {', '.join(offline) or 'none'}",
        f"speech engines that need more: {', '.join(online)}",
    ]
    if whisper_model.installed():
        lines.append(whisper_model.describe(settings.whisper_model, data_dir))
    lines.append(listening(settings, status))
    return [Problem(line, severity="info") for line in lines]


def listening(settings: VoiceSettings, status: dict[str, engines.Unavailable | None]) -> str:
    """What !listen needs and does here: a recogniser, a platform that hears, what is kept."""
    recogniser = engines.chosen_stt(settings)
    usable = "ready" if status.get(recogniser) is None else "NOT usable"
    who = "everyone in the channel" if settings.listen == "everyone" else "people who opt in"
    kept = "kept as WAV files" if settings.keep_recordings else "never written to disk"
    return (
        f"!listen: transcribes with {recogniser} ({usable}), hears {who}, sound {kept}; "
        "live voice channels need the Discord adapter with PyNaCl, davey and PyAV (libopus), "
        "elsewhere !listen takes a recording"
    )


def _engine_problems(
    kind: str, chosen: str, status: dict[str, engines.Unavailable | None]
) -> list[Problem]:
    """An error for the configured engine when it cannot work, a warning for each other one."""
    return [
        Problem(
            f"{kind} engine {name} unavailable: {problem.reason}",
            problem.fix,
            "error" if name == chosen else "warning",
        )
        for name, problem in status.items()
        if problem is not None
    ]
