"""Fixtures: real speech clips and a bot with the voice plugin."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botkit_voice
import pytest
from botkit_voice import espeak_worker
from voice_helpers import PHRASE, EchoChat

from botkit.testing import RecordingAdapter, RecordingVoice
from botkit.util import ffmpeg_executable


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """espeak-ng (from espeakng-loader) speaking PHRASE."""
    path = tmp_path_factory.mktemp("speech") / "phrase.wav"
    worker = Path(espeak_worker.__file__)
    command = [sys.executable, str(worker), "en-us", str(path)]
    subprocess.run(command, input=PHRASE.encode(), check=True, timeout=30)
    return path


@pytest.fixture(scope="session")
def voice_message(speech_wav: Path) -> bytes:
    """PHRASE as a Discord voice message: Ogg/Opus."""
    ffmpeg = ffmpeg_executable()
    assert ffmpeg is not None
    command = [ffmpeg, "-loglevel", "error", "-i", str(speech_wav), "-c:a", "libopus"]
    command += ["-b:a", "32k", "-f", "ogg", "pipe:1"]
    return subprocess.run(command, check=True, capture_output=True, timeout=30).stdout


@pytest.fixture
def voice_bot(botkit_harness: Callable[..., Any]) -> Callable[..., Any]:
    """``voice_bot(config={...}, plugins={...}, voice=..., voice_notes=...)``: the voice
    plugin plus echo chat.

    ``voice`` replaces the recording adapter's RecordingVoice (``None``: no voice channels);
    ``voice_notes=True``: the adapter sends voice messages.
    """

    def start(
        config: dict[str, Any] | None = None,
        plugins: dict[str, object] | None = None,
        voice: Any = RecordingVoice,
        voice_notes: bool = False,
        extra_config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        adapter = RecordingAdapter(
            voice=voice() if voice is RecordingVoice else voice, voice_notes=voice_notes
        )
        everything = {"voice": botkit_voice, "chat": EchoChat(), **(plugins or {})}
        section = {"tts_engine": "espeak", "stt_engine": "sphinx", **(config or {})}
        sections = {"voice": section, **(extra_config or {})}
        return botkit_harness(plugins=everything, config=sections, adapter=adapter, **kwargs)

    return start
