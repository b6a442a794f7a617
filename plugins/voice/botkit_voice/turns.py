"""Turns in one speaker's sound: energy-based voice activity detection, end of turn on silence.

The sound is 16-bit mono PCM at 16 kHz (what adapters hand a listening plugin and what the
recognisers take), cut into 20 ms frames. A frame is voiced when its loudness (root mean
square) reaches ``SPEECH_LEVEL``. A turn starts at the first voiced frame (with
``PRE_ROLL_MS`` of what came before, so the first sound is not clipped) and ends after
``end_of_turn_ms`` of unvoiced frames, or when no sound at all arrives for that long (the
listener calls :meth:`Turns.end`: a platform stops sending packets while someone is silent),
or when it reaches ``max_seconds`` (it is cut there and a new turn goes on). A turn with less than
``MIN_VOICED_MS`` of voiced frames is a cough or a click and is dropped.
"""

from __future__ import annotations

import array
import math
import sys

RATE = 16_000
FRAME_MS = 20
FRAME_SAMPLES = RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * 2
SPEECH_LEVEL = 400.0  # RMS of a voiced frame, out of 32768 (about -38 dBFS)
PRE_ROLL_MS = 200
MIN_VOICED_MS = 200
TAIL_MS = 200  # silence kept after the last voiced frame


def loudness(frame: bytes) -> float:
    """Root mean square of the samples of a frame (every second sample: quick enough)."""
    samples = array.array("h", frame)
    if sys.byteorder == "big":
        samples.byteswap()
    picked = samples[::2]
    if not picked:
        return 0.0
    return math.sqrt(sum(s * s for s in picked) / len(picked))


class Turns:
    """One speaker's turn detector; feed it sound, collect finished turns (PCM bytes)."""

    def __init__(self, end_of_turn_ms: int, max_seconds: float) -> None:
        self.end_frames = max(1, end_of_turn_ms // FRAME_MS)
        self.max_frames = max(1, int(max_seconds * 1000) // FRAME_MS)
        self._pending = b""  # less than a frame, waiting for the rest
        self._before: list[bytes] = []  # the last PRE_ROLL_MS of unvoiced sound
        self._turn: list[bytes] = []
        self._voiced = 0
        self._silent = 0  # unvoiced frames since the last voiced one

    @property
    def speaking(self) -> bool:
        """Whether a turn is under way."""
        return bool(self._turn)

    def feed(self, pcm: bytes) -> list[bytes]:
        """Add sound; the turns it finished, oldest first."""
        data = self._pending + pcm
        whole = len(data) - len(data) % FRAME_BYTES
        self._pending = data[whole:]
        finished = []
        for start in range(0, whole, FRAME_BYTES):
            turn = self._frame(data[start : start + FRAME_BYTES])
            if turn is not None:
                finished.append(turn)
        return finished

    def _frame(self, frame: bytes) -> bytes | None:
        voiced = loudness(frame) >= SPEECH_LEVEL
        if not self._turn:
            if not voiced:
                self._before = [*self._before, frame][-(PRE_ROLL_MS // FRAME_MS) :]
                return None
            self._turn, self._before = [*self._before, frame], []
            self._voiced, self._silent = 1, 0
            return None
        self._turn.append(frame)
        if voiced:
            self._voiced += 1
            self._silent = 0
        else:
            self._silent += 1
        if self._silent >= self.end_frames or len(self._turn) >= self.max_frames:
            return self.end()
        return None

    @property
    def silent_ms(self) -> int:
        """How long the sound of the turn under way has been unvoiced."""
        return self._silent * FRAME_MS

    @property
    def voiced_frames(self) -> int:
        """Voiced frames in the turn under way: it grows only when speech goes on."""
        return self._voiced

    def so_far(self) -> bytes | None:
        """What :meth:`end` would return now, the turn going on; while no voiced frame comes,
        the same bytes as at the end (the silence beyond ``TAIL_MS`` is not kept)."""
        if self._voiced * FRAME_MS < MIN_VOICED_MS:
            return None
        keep = len(self._turn) - max(0, self._silent - TAIL_MS // FRAME_MS)
        return b"".join(self._turn[:keep])

    def end(self) -> bytes | None:
        """End the turn under way now (silence, or the sound stopped); None when there was
        none or it was too short to be speech."""
        turn = self.so_far()
        self._turn, self._voiced, self._silent = [], 0, 0
        return turn


def split(pcm: bytes, end_of_turn_ms: int, max_seconds: float) -> list[bytes]:
    """The turns of a whole recording (blocking: run it in a thread)."""
    turns = Turns(end_of_turn_ms, max_seconds)
    found = turns.feed(pcm)
    last = turns.end()
    return [*found, last] if last is not None else found
