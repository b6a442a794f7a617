"""What was heard, kept as WAV files only when the owner turned ``keep_recordings`` on.

``<data_dir>/voice/recordings/<space>/<user id>-<n>.wav``; ``!mydata`` counts a person's,
``!forgetme`` deletes them. Blocking: call these in a thread.
"""

from __future__ import annotations

from pathlib import Path

from botkit.util import safe_filename
from botkit_voice import convert


def directory(data_dir: Path) -> Path:
    return data_dir / "voice" / "recordings"


def _mine(data_dir: Path, user_id: str) -> list[Path]:
    name = safe_filename(user_id)
    return sorted(directory(data_dir).glob(f"*/{name}-*.wav"))


def keep(data_dir: Path, space: str, user_id: str, pcm: bytes) -> Path:
    """Write one turn of ``user_id`` in ``space``; the new file's path."""
    folder = directory(data_dir) / safe_filename(space)
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_filename(user_id)
    numbers = (p.stem.rsplit("-", 1)[-1] for p in folder.glob(f"{name}-*.wav"))
    last = max((int(n) for n in numbers if n.isdecimal()), default=0)
    path = folder / f"{name}-{last + 1:05d}.wav"
    path.write_bytes(convert.wav_bytes(pcm))
    return path


def count(data_dir: Path, user_id: str) -> int:
    return len(_mine(data_dir, user_id))


def forget(data_dir: Path, user_id: str) -> int:
    """Delete every recording of ``user_id``; how many there were."""
    found = _mine(data_dir, user_id)
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)
