"""``botkit new-plugin NAME``: a plugin distribution that installs and whose test passes."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from botkit import __version__

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class ScaffoldError(Exception):
    """The plugin cannot be written; the message says why."""


def write_plugin(name: str, directory: Path) -> Path:
    """Write ``botkit-NAME`` (package ``botkit_NAME``) under ``directory``; return its root."""
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"{name!r} is not a usable plugin name: use 1-40 lower-case letters, digits and "
            "underscores, starting with a letter"
        )
    dist = f"botkit-{name.replace('_', '-')}"
    package = f"botkit_{name}"
    root = directory / dist
    if root.exists():
        raise ScaffoldError(f"{root} exists already; choose another name or directory")
    major, minor = (int(part) for part in __version__.split(".")[:2])
    files = {
        "pyproject.toml": PYPROJECT.format(
            dist=dist,
            name=name,
            package=package,
            low=f"{major}.{minor}",
            high=f"{major}.{minor + 1}",
        ),
        "README.md": README.format(dist=dist, name=name),
        f"{package}/__init__.py": PACKAGE.format(name=name),
        f"tests/test_{name}.py": TEST.format(name=name, package=package),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
version = "0.1.0"
description = "A botkit plugin."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["botkit>={low},<{high}"]

[project.optional-dependencies]
test = ["pytest>=8", "pytest-asyncio>=0.24"]

[project.entry-points."botkit.plugins"]
{name} = "{package}"

[tool.hatch.build.targets.wheel]
packages = ["{package}"]

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""

README = """\
# {dist}

A botkit plugin. `!{name} [who]` says hello.

    pip install -e '.[test]'   # with botkit installed
    pytest
"""

PACKAGE = '''\
"""The {name} plugin: one command, ``!{name}``."""

from botkit import Context, command, hookimpl


async def {name}(ctx: Context, who: str | None = None) -> str:
    """Say hello to someone (or to you)."""
    return f"Hello, {{who or ctx.message.author.name}}!"


@hookimpl
def botkit_commands():
    return [command({name}, param_help={{"who": "a name (default: you)"}})]
'''

TEST = '''\
"""The test kit (``botkit_harness``) is a pytest plugin installed with botkit."""

import {package}


async def test_greets_by_name(botkit_harness):
    async with botkit_harness(plugins={{"{name}": {package}}}) as bot:
        assert (await bot.send("!{name} Ada")).text == "Hello, Ada!"


async def test_greets_the_author_by_default(botkit_harness):
    async with botkit_harness(plugins={{"{name}": {package}}}) as bot:
        assert (await bot.send("!{name}", user=bot.member)).text == "Hello, member!"
'''
