"""Distributions outside the host use only the tiers of the contract (each a module's
``__all__``): plugins ``botkit`` and ``botkit.util``; adapters these and ``botkit.adapter``;
test kits these, ``botkit.adapter`` and ``botkit.testing``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import botkit
import botkit.adapter
import botkit.testing
import botkit.util
import botkit.web.pages

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(
    p
    for pattern in (
        "plugins/*/botkit_*",
        "adapters/*/botkit_*",
        "testkit/botkit_*",
        "botkit/permissions",  # the built-in permissions plugin, written as any plugin is
    )
    for p in ROOT.glob(pattern)
    if p.is_dir()
)
FORBIDDEN_ATTRIBUTES = {"pm", "disabled_plugins"}
HANDLES = {"ctx", "plugin", "handle"}  # a context or handle must not be opened up


def violations(source: str, adapter: bool = False, testkit: bool = False) -> list[str]:
    """Every use of the host beyond the tiers open to one module's source: ``botkit`` and
    ``botkit.util``, plus ``botkit.adapter`` for an adapter or test kit, plus
    ``botkit.testing`` for a test kit."""
    tiers = {
        "botkit": botkit.__all__,
        "botkit.util": botkit.util.__all__,
        "botkit.web": botkit.web.pages.__all__,  # console pages (docs/plugin-guide.md)
    }
    if adapter or testkit:
        tiers["botkit.adapter"] = botkit.adapter.__all__
    if testkit:
        tiers["botkit.testing"] = botkit.testing.__all__
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"import {a.name}"
                for a in node.names
                if a.name.startswith("botkit.") and a.name not in tiers
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in tiers:
                found += [
                    f"from {node.module} import {a.name}"
                    for a in node.names
                    if a.name not in tiers[node.module]
                ]
            elif node.module.startswith("botkit."):
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Attribute):
            if node.attr in FORBIDDEN_ATTRIBUTES:
                found.append(f".{node.attr}")
            elif node.attr == "bot" and isinstance(node.value, ast.Name) and node.value.id == "ctx":
                found.append("ctx.bot")
            elif _private(node.attr) and any(_named(node.value, n) for n in HANDLES):
                found.append(f".{node.attr}")
            elif node.attr == "plugins" and _named(node.value, "bot"):
                found.append("bot.plugins")
            elif not node.attr.startswith("__"):
                dotted = _dotted(node.value)
                if dotted == "botkit" and node.attr not in {*botkit.__all__, *_tier_names(tiers)}:
                    found.append(f"botkit.{node.attr}")
                elif dotted in tiers and dotted != "botkit" and node.attr not in tiers[dotted]:
                    found.append(f"{dotted}.{node.attr}")
    return found


def _tier_names(tiers: dict[str, list[str]]) -> list[str]:
    """The tiers' module names below ``botkit`` (``botkit.util`` -> ``util``)."""
    return [name.split(".", 1)[1] for name in tiers if "." in name]


def _dotted(node: ast.expr) -> str:
    """``botkit.adapter`` for the expression ``botkit.adapter``; "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else ""
    return ""


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
    assert {"botkit_discord", "botkit_telegram", "permissions"} <= names


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_package_uses_only_the_exported_contract(package: Path) -> None:
    adapter = package.parent.parent.name == "adapters"
    testkit = package.parent.name == "testkit"
    found = {
        f"{path.relative_to(ROOT)}: {what}"
        for path in sorted(package.rglob("*.py"))
        for what in violations(path.read_text(encoding="utf-8"), adapter=adapter, testkit=testkit)
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
        ("from botkit import Channel\nfrom botkit.util import redact", []),
        ("from botkit import redact", ["from botkit import redact"]),
        ("from botkit.testing import build_bot", ["from botkit.testing import ..."]),
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
        ("from botkit.util import clean_text, redact", []),
        ("from botkit.util import Storage", ["from botkit.util import Storage"]),
        ("botkit.util.clean_text('x')", []),
        ("botkit.util.mask_credentials('x')", ["botkit.util.mask_credentials"]),
        ("from botkit import Host", ["from botkit import Host"]),
        ("from botkit.testing import build_bot", ["from botkit.testing import ..."]),
        ("ctx.plugin.state = {}", []),
    ],
)
def test_the_check_catches_reaching_into_the_host(source: str, expected: list[str]) -> None:
    assert sorted(violations(source)) == sorted(expected)


def test_the_check_holds_test_kits_to_the_testing_tier() -> None:
    source = "from botkit.testing import BotHarness, Secret\nfrom botkit.adapter import Host"
    assert violations(source, testkit=True) == ["from botkit.testing import Secret"]


@pytest.mark.parametrize("module", [botkit, botkit.util, botkit.adapter, botkit.testing])
def test_every_name_of_each_tier_exists(module) -> None:
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_the_plugin_tier_stays_small() -> None:
    assert len(botkit.__all__) <= 30
