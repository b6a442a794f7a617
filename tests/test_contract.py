"""Plugins and adapters outside the host use only what the host exports for them (the 0.2
contract): plugins ``botkit.__all__``, adapters ``botkit.adapter.__all__`` (and
``botkit.__all__``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import botkit
import botkit.adapter
import botkit.web.pages

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(
    p
    for pattern in ("plugins/*/botkit_*", "adapters/*/botkit_*")
    for p in ROOT.glob(pattern)
    if p.is_dir()
)
FORBIDDEN_ATTRIBUTES = {"pm", "disabled_plugins"}
HANDLES = {"ctx", "plugin", "handle"}  # a context or handle must not be opened up


def violations(source: str, adapter: bool = False) -> list[str]:
    """Every use of the host beyond ``botkit.__all__`` in one module's source (for an adapter,
    beyond ``botkit.__all__`` and ``botkit.adapter.__all__``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"import {a.name}"
                for a in node.names
                if a.name.startswith("botkit.") and not (adapter and a.name == "botkit.adapter")
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "botkit.testing":
                continue  # the host's test kit, public for test kits and tests
            if adapter and node.module == "botkit.adapter":
                found += [
                    f"from botkit.adapter import {a.name}"
                    for a in node.names
                    if a.name not in botkit.adapter.__all__
                ]
            elif node.module == "botkit.web":  # the console's plugin tier (docs/plugin-guide.md)
                found += [
                    f"from botkit.web import {a.name}"
                    for a in node.names
                    if a.name not in botkit.web.pages.__all__
                ]
            elif node.module.startswith("botkit."):
                found.append(f"from {node.module} import ...")
            elif node.module == "botkit":
                found += [
                    f"from botkit import {a.name}"
                    for a in node.names
                    if a.name not in botkit.__all__
                ]
        elif isinstance(node, ast.Attribute):
            if node.attr in FORBIDDEN_ATTRIBUTES:
                found.append(f".{node.attr}")
            elif node.attr == "bot" and isinstance(node.value, ast.Name) and node.value.id == "ctx":
                found.append("ctx.bot")
            elif _private(node.attr) and any(_named(node.value, n) for n in HANDLES):
                found.append(f".{node.attr}")
            elif node.attr == "plugins" and _named(node.value, "bot"):
                found.append("bot.plugins")
            elif (
                isinstance(node.value, ast.Name)
                and node.value.id == "botkit"
                and node.attr not in botkit.__all__
                and not node.attr.startswith("__")
                and not (adapter and node.attr == "adapter")
            ):
                found.append(f"botkit.{node.attr}")
            elif (
                adapter
                and _named(node.value, "adapter")
                and isinstance(node.value, ast.Attribute)
                and _named(node.value.value, "botkit")
                and node.attr not in botkit.adapter.__all__
                and not node.attr.startswith("__")
            ):
                found.append(f"botkit.adapter.{node.attr}")
    return found


def _private(name: str) -> bool:
    """A name a plugin must not open: the handle's or context's own (``_parts``, ``_flow``)."""
    return name.startswith("_") and not name.startswith("__")


def _named(node: ast.expr, name: str) -> bool:
    return (isinstance(node, ast.Name) and node.id == name) or (
        isinstance(node, ast.Attribute) and node.attr == name
    )


def test_there_are_packages_to_check() -> None:
    names = {p.name for p in PACKAGES}
    assert {"botkit_openai_chat", "botkit_trainer", "botkit_voice", "botkit_feedback"} <= names
    assert {"botkit_discord", "botkit_telegram"} <= names


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_package_uses_only_the_exported_contract(package: Path) -> None:
    adapter = package.parent.parent.name == "adapters"
    found = {
        f"{path.relative_to(ROOT)}: {what}"
        for path in sorted(package.rglob("*.py"))
        for what in violations(path.read_text(encoding="utf-8"), adapter=adapter)
    }
    assert sorted(found) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from botkit.adapter import Handlers, Host", []),
        ("from botkit.adapter import Bot", ["from botkit.adapter import Bot"]),
        ("import botkit.adapter\nbotkit.adapter.BoundedMap(9)", []),
        ("import botkit.adapter\nbotkit.adapter.log", ["botkit.adapter.log"]),
        ("from botkit.adapters.base import Host", ["from botkit.adapters.base import ..."]),
        ("from botkit.runner import serve", ["from botkit.runner import ..."]),
        ("from botkit import Channel, redact", []),
        ("from botkit.testing import build_bot", []),
        ("from botkit.web import WebPage, e", []),
        ("from botkit.web import Console", ["from botkit.web import Console"]),
    ],
)
def test_the_check_holds_adapters_to_the_adapter_contract(source: str, expected: list[str]) -> None:
    assert sorted(violations(source, adapter=True)) == sorted(expected)


def test_a_plugin_may_not_import_the_adapter_contract() -> None:
    assert violations("from botkit.adapter import Handlers") == ["from botkit.adapter import ..."]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from botkit.storage import Storage", ["from botkit.storage import ..."]),
        ("import botkit.paths", ["import botkit.paths"]),
        ("from botkit import Bot", ["from botkit import Bot"]),
        ("x = ctx.bot.config", ["ctx.bot"]),
        ("self.bot.plugins.pm.get_name(self)", [".pm", "bot.plugins"]),
        ("handle._parts.config", ["._parts"]),
        ("ctx._flow.root", ["._flow"]),
        ("await bot.disabled_plugins(guild)", [".disabled_plugins"]),
        ("botkit.bot.Bot", ["botkit.bot"]),
        ("from botkit import Context, command, hookimpl", []),
        ("from botkit.testing import build_bot", []),
        ("ctx.plugin.state = {}", []),
    ],
)
def test_the_check_catches_reaching_into_the_host(source: str, expected: list[str]) -> None:
    assert sorted(violations(source)) == sorted(expected)


def test_every_exported_name_exists() -> None:
    missing = [name for name in botkit.__all__ if not hasattr(botkit, name)]
    assert missing == []


def test_every_name_of_the_adapter_contract_exists() -> None:
    missing = [name for name in botkit.adapter.__all__ if not hasattr(botkit.adapter, name)]
    assert missing == []
