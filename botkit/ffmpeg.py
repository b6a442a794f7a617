"""Finding an ffmpeg binary: the system's, else the one imageio-ffmpeg ships."""

from __future__ import annotations

import shutil


def ffmpeg_executable() -> str | None:
    """Path to ffmpeg, or None when neither the system nor imageio-ffmpeg has one."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return None
