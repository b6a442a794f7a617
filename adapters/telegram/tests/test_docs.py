"""The README's plugin test and docs/telegram.md's configuration work as written."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from botkit_telegram import TelegramSettings

from botkit.config import Config

HERE = Path(__file__).resolve().parents[1]
GUIDE = HERE.parents[1] / "docs" / "telegram.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def blocks(document: Path, language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(document.read_text()) if lang == language]


def test_the_readmes_plugin_test_passes_as_written(tmp_path):
    (example,) = [b for b in blocks(HERE / "README.md", "python") if b.startswith("# tests/")]
    target = tmp_path / example.splitlines()[0].removeprefix("# ")
    target.parent.mkdir(parents=True)
    target.write_text(example)
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.parametrize("toml", blocks(GUIDE, "toml"))
def test_every_configuration_example_in_the_guide_is_valid(toml):
    raw = tomllib.loads(toml)
    settings = Config.from_dict(raw).section("telegram", TelegramSettings)
    assert isinstance(settings, TelegramSettings)
