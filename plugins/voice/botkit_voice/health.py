"""What ``botkit doctor`` reports about voice: ffmpeg, Discord voice libraries, engines."""

from __future__ import annotations

import importlib

from botkit import Problem
from botkit.ffmpeg import ffmpeg_executable
from botkit_voice import engines
from botkit_voice.settings import VoiceSettings

DISCORD_VOICE_LIBRARIES = (("nacl", "PyNaCl"), ("davey", "davey"))


def problems(settings: VoiceSettings) -> list[Problem]:
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
    found += _engine_problems("text-to-speech", settings.tts_engine, engines.tts_problems(settings))
    found += _engine_problems("speech-to-text", settings.stt_engine, engines.stt_problems(settings))
    return found


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
