"""Small helpers plugins share (the ``botkit.util`` tier of the contract): text, words as
commands read them, secrets in logs, paths from chat, and ffmpeg."""

from __future__ import annotations

from botkit.commands import split_words
from botkit.ffmpeg import ffmpeg_executable
from botkit.logs import redact, remember_secret
from botkit.paths import UnsafePath, safe_filename, sha256_problem
from botkit.text import clean_text, split_text

__all__ = [
    "UnsafePath",
    "clean_text",
    "ffmpeg_executable",
    "redact",
    "remember_secret",
    "safe_filename",
    "sha256_problem",
    "split_text",
    "split_words",
]
