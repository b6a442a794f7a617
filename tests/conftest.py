"""Shared fixtures for the host's tests: a clean environment and plugins installed for real."""

from __future__ import annotations

import importlib
import logging
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BOTKIT_ENV = (
    "BOTKIT_CONFIG",
    "BOTKIT_DATA_DIR",
    "BOTKIT_PLUGINS",
    "BOTKIT_STRICT_PLUGINS",
    "DISCORD_TOKEN",
    "TELEGRAM_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_botkit_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's botkit variables or token."""
    for name in BOTKIT_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def restore_root_logging() -> Iterator[None]:
    """``botkit.cli.main`` replaces the root logger's handlers; put pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def write_dist(
    root: Path, dist: str, entry: str, module: str, source: str, group: str = "botkit.plugins"
) -> Path:
    """Write ``module.py`` and a ``<dist>-0.1.dist-info`` declaring it a botkit plugin (or,
    with ``group="botkit.adapters"``, an adapter whose entry point is ``module:adapter``).

    The directory name uses underscores, as pip writes it: importlib.metadata takes the name
    up to the first dash.
    """
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8"
    )
    target = module if group == "botkit.plugins" else f"{module}:adapter"
    (info / "entry_points.txt").write_text(f"[{group}]\n{entry} = {target}\n", encoding="utf-8")
    return info


@pytest.fixture
def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str, str], Path]]:
    """Factory ``install_plugin(entry_name, module_name, source)``: a plugin pip would install.

    The distribution lives in ``tmp_path/site`` which is put on ``sys.path``; the imported
    modules are forgotten afterwards so no other test sees them.
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(entry: str, module: str, source: str, group: str = "botkit.plugins") -> Path:
        modules.append(module)
        info = write_dist(site, f"botkit-test-{entry}", entry, module, source, group)
        importlib.invalidate_caches()
        return info

    yield install
    for module in modules:
        sys.modules.pop(module, None)
    importlib.invalidate_caches()
