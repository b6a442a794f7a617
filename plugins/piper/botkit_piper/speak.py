"""Piper synthesis: onnxruntime computes outside the GIL, so a worker thread suffices.

At most ``workers`` syntheses run at once and ``max_waiting`` wait; more are refused. A
synthesis that passes its time-out is abandoned (its slot stays taken until the thread ends,
so the bound holds). Loaded voices are kept, a few at most.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import uuid
import wave
from pathlib import Path
from typing import Any

from botkit_piper.settings import PiperSettings
from botkit_piper.voices import VoiceFiles

MAX_LOADED = 3


class Busy(Exception):
    """Too many syntheses are waiting."""


class Speaker:
    """One bot's Piper: its slots and loaded voices."""

    def __init__(self, settings: PiperSettings) -> None:
        self.settings = settings
        self._slots = threading.BoundedSemaphore(settings.workers)
        self._waiting = 0
        self._loaded: collections.OrderedDict[Path, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    async def synthesize(self, voice: VoiceFiles, text: str, directory: Path) -> Path:
        """Speak ``text`` into a new WAV file in ``directory``; TimeoutError or Busy if not."""
        if self._waiting >= self.settings.workers + self.settings.max_waiting:
            raise Busy(f"{self._waiting} Piper syntheses are running or waiting")
        path = directory / f"{uuid.uuid4().hex}.wav"
        self._waiting += 1
        work = asyncio.ensure_future(asyncio.to_thread(self._run, voice, text, path))
        work.add_done_callback(lambda _: self._done())
        try:
            await asyncio.wait_for(asyncio.shield(work), self.settings.timeout)
        except BaseException:
            work.add_done_callback(lambda _: path.unlink(missing_ok=True))
            raise
        return path

    def _done(self) -> None:
        self._waiting -= 1

    def _run(self, voice: VoiceFiles, text: str, path: Path) -> None:
        with self._slots:
            loaded = self._voice(voice)
            path.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(path), "wb") as out:
                loaded.synthesize_wav(text, out)

    def _voice(self, voice: VoiceFiles) -> Any:
        with self._lock:
            loaded = self._loaded.get(voice.model)
            if loaded is not None:
                self._loaded.move_to_end(voice.model)
                return loaded
        from piper import PiperVoice

        loaded = PiperVoice.load(voice.model, config_path=voice.config)
        with self._lock:
            self._loaded[voice.model] = loaded
            while len(self._loaded) > MAX_LOADED:
                self._loaded.popitem(last=False)
        return loaded
