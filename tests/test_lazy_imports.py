"""Nothing heavy is imported until it is used: the CLI and every plugin's and adapter's entry
point."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

import pytest

HEAVY = (
    "openai",
    "discord",
    "speech_recognition",
    "faster_whisper",
    "gtts",
    "aiogram",
    "sqlalchemy",
    "multiprocessing",  # worker pools start when a job comes, not when a plugin loads
)
PLUGINS = sorted(
    (ep.name, ep.value) for ep in importlib.metadata.entry_points(group="botkit.plugins")
)
ADAPTERS = sorted(
    (ep.name, ep.value) for ep in importlib.metadata.entry_points(group="botkit.adapters")
)


def imported_after(code: str) -> set[str]:
    """Top-level modules of ``HEAVY`` (and SQLAlchemy dialects) imported by running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} | "
        "{m for m in sys.modules if m.startswith('sqlalchemy.dialects.')})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    found = set(json.loads(done.stdout.splitlines()[-1]))
    return {m for m in found if m in HEAVY or m.startswith("sqlalchemy.dialects.")}


def test_every_shipped_plugin_and_adapter_is_checked() -> None:
    assert {"openai_chat", "trainer", "voice", "feedback"} <= {name for name, _ in PLUGINS}
    assert {"console", "discord", "telegram"} <= {name for name, _ in ADAPTERS}


@pytest.mark.parametrize(
    ("name", "target"), PLUGINS + ADAPTERS, ids=[name for name, _ in PLUGINS + ADAPTERS]
)
def test_an_entry_point_imports_nothing_heavy(name: str, target: str) -> None:
    module, _, attribute = target.partition(":")
    code = f"import {module} as m\n" + (f"m.{attribute}\n" if attribute else "")
    assert imported_after(code) == set()


def test_the_version_imports_nothing_heavy() -> None:
    code = (
        "from botkit.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    )
    assert imported_after(code) == set()


def test_listing_the_plugins_imports_no_platform_or_sdk(tmp_path) -> None:
    code = (
        "import os\n"
        f"os.environ['BOTKIT_DATA_DIR'] = {str(tmp_path)!r}\n"
        "from botkit.cli import main\nmain(['plugins', 'list'])"
    )
    assert imported_after(code) == set()
