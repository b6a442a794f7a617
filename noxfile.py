"""Sessions over the host and every plugin distribution under plugins/."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = False

ROOT = Path(__file__).parent
PLUGIN_DIRS = sorted(
    str(p.parent.relative_to(ROOT))
    for pattern in ("plugins/*/pyproject.toml", "adapters/*/pyproject.toml")
    for p in ROOT.glob(pattern)
)


def install_all(session: nox.Session) -> None:
    """Install the host, the test kit and every plugin and adapter as real distributions."""
    session.install(".[test]", "./testkit", *(f"./{d}" for d in PLUGIN_DIRS))


@nox.session
def tests(session: nox.Session) -> None:
    """The host's tests, then each plugin's, each run from its own directory as its author would."""
    install_all(session)
    session.run("pytest", "-p", "no:cacheprovider", "tests", *session.posargs)
    for directory in PLUGIN_DIRS:
        with session.chdir(directory):
            session.run("pytest", "-p", "no:cacheprovider", "tests", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark under bench/, each printing its figures and ratios."""
    install_all(session)
    for script in sorted((ROOT / "bench").glob("*.py")):
        session.run("python", str(script.relative_to(ROOT)), *session.posargs)
