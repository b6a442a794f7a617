"""The entry-point module stays light: no service SDK is imported until a client is made."""

from __future__ import annotations

import subprocess
import sys

SDKS = ("openai", "together", "fireworks")


def test_importing_the_plugin_imports_no_sdk() -> None:
    code = f"import sys, botkit_trainer; print(','.join(m for m in {SDKS!r} if m in sys.modules))"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert found.stdout.strip() == ""
