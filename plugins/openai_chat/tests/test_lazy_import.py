"""Importing the plugin's entry point stays light: no SDK, no SQLAlchemy until the bot starts."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("openai", "httpx2", "aiohttp", "pydantic", "sqlalchemy")
LOAD = f"""
import json, sys
from importlib.metadata import entry_points
entry_points(group="botkit.plugins")["openai_chat"].load()
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def test_importing_the_entry_point_imports_no_heavy_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOAD], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []
