"""The README's and the plugin guide's plugin examples work exactly as written.

Their files are read out of the documents' own text, written to a temporary directory and
installed, with the document's own shell command, into one fresh virtual environment that
holds nothing but this checkout's botkit; then the example's own test runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
FILE_LINE = re.compile(r"#\s*(\S+\.(?:py|toml))\b")


def section(document: Path, heading: str) -> str:
    text = document.read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end > 0 else None]


def example(text: str) -> tuple[dict[str, str], list[str]]:
    """The files (first line ``# path``) and the shell commands of a document's example."""
    files, commands = {}, []
    for language, body in BLOCK.findall(text):
        first = body.splitlines()[0] if body else ""
        named = FILE_LINE.match(first)
        if language in ("python", "toml") and named:
            files[named.group(1)] = body
        elif language == "sh":
            commands += [line for line in body.splitlines() if line.strip()]
    return files, commands


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with pip and only this checkout's botkit installed."""
    from uv import find_uv_bin

    venv = tmp_path_factory.mktemp("venv") / "env"
    uv = find_uv_bin()
    subprocess.run([uv, "venv", "--seed", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(ROOT)],
        check=True,
    )
    return venv


def run_example(files: dict[str, str], commands: list[str], where: Path, venv: Path) -> str:
    for relative, body in files.items():
        path = where / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTKIT_", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    done = subprocess.run(
        ["bash", "-c", " && ".join(commands)],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_readme_has_a_complete_example() -> None:
    files, commands = example(section(ROOT / "README.md", "## Writing a plugin"))
    assert sorted(files) == ["botkit_dice/__init__.py", "pyproject.toml", "tests/test_dice.py"]
    assert commands == ["pip install -e '.[test]' && pytest"]


def test_readme_plugin_installs_and_its_test_passes(fresh_venv: Path, tmp_path: Path) -> None:
    files, commands = example(section(ROOT / "README.md", "## Writing a plugin"))
    out = run_example(files, commands, tmp_path / "botkit-dice", fresh_venv)
    assert re.search(r"\b1 passed\b", out)
    assert "warning" not in out.lower()  # e.g. pytest-asyncio's unset fixture loop scope


def test_plugin_guide_example_installs_and_its_tests_pass(fresh_venv: Path, tmp_path: Path) -> None:
    files, commands = example(section(ROOT / "docs" / "plugin-guide.md", "## A complete example"))
    assert "pyproject.toml" in files
    out = run_example(files, commands, tmp_path / "guide-example", fresh_venv)
    assert re.search(r"\b\d+ passed\b", out) and "failed" not in out


def test_new_plugin_installs_and_its_tests_pass(fresh_venv: Path, tmp_path: Path) -> None:
    made = subprocess.run(
        [str(fresh_venv / "bin" / "botkit"), "new-plugin", "greeter", "--directory", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    root = tmp_path / "botkit-greeter"
    wrote, _, suggested = made.stdout.strip().partition("; try: ")
    assert wrote == f"wrote {root}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTKIT_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = "/usr/bin:/bin"  # the line works without an activated environment
    done = subprocess.run(
        ["bash", "-c", suggested], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\b2 passed\b", done.stdout)


def test_new_plugin_refuses_a_bad_name(tmp_path: Path) -> None:
    from botkit.cli import main

    assert main(["new-plugin", "Bad-Name", "--directory", str(tmp_path)]) == 1
    assert list(tmp_path.iterdir()) == []


def tour() -> tuple[str, str]:
    """The command and the expected output of the README's first tour transcript."""
    text = section(ROOT / "README.md", "## A five-minute tour")
    language, body = BLOCK.findall(text)[0]
    first, *output = body.splitlines()
    assert language == "sh" and first.startswith("$ ")
    return first.removeprefix("$ "), "\n".join(output) + "\n"


def test_readme_tour_transcript_is_what_the_bot_prints(tmp_path: Path) -> None:
    command, expected = tour()
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOTKIT_", "PYTHON")) and not k.endswith("_TOKEN")
    }
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout) == (0, expected), done.stderr[-3000:]
