"""The entry-point module stays light: engines are imported when first used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("openai", "speech_recognition", "faster_whisper", "gtts", "numpy", "sqlalchemy")


def test_importing_the_plugin_imports_no_engine():
    code = f"import sys, botkit_voice; print([m for m in {HEAVY!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
