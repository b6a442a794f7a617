"""The host alone, installed in a fresh environment: it answers in the console, and no chat
platform's library comes with it (Discord is the botkit-discord distribution)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def host_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding only this checkout's botkit (``pip install ./``)."""
    from uv import find_uv_bin

    venv = tmp_path_factory.mktemp("host") / "env"
    uv = find_uv_bin()
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(ROOT)],
        check=True,
        timeout=600,
    )
    return venv


def run(
    venv: Path, argv: list[str], tmp_path: Path, stdin: str = ""
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTKIT_", "PYTHON"))}
    env.pop("DISCORD_TOKEN", None)
    env.pop("TELEGRAM_TOKEN", None)
    env["BOTKIT_DATA_DIR"] = str(tmp_path / "data")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        argv, input=stdin, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_host_alone_says_hi_in_the_console(host_venv: Path, tmp_path: Path) -> None:
    done = run(host_venv, ["botkit", "run"], tmp_path, stdin="!hi\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "HI!\n"


def test_the_host_alone_has_no_discord(host_venv: Path, tmp_path: Path) -> None:
    done = run(host_venv, ["python", "-c", "import discord"], tmp_path)
    assert done.returncode == 1
    assert "ModuleNotFoundError: No module named 'discord'" in done.stderr
