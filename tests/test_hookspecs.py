"""The hook specifications are the single source of truth: kinds, result checks, the guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from botkit import hookspecs
from botkit.hookspecs import SPECS, Kind

GUIDE = Path(__file__).parents[1] / "docs" / "plugin-guide.md"


def guide_rows() -> dict[str, str]:
    """Hook name -> kind, from every hook table of the plugin guide."""
    rows = {}
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        found = re.match(
            r"^\| (`botkit_\w+\(.*?\)`(?: / `botkit_\w+\(.*?\)`)*) \| ([a-z ]+) \|", line
        )
        if found:
            for name in re.findall(r"`(botkit_\w+)\(", found.group(1)):
                rows[name] = found.group(2)
    return rows


def test_every_hook_function_is_declared_with_a_kind() -> None:
    functions = {n for n in vars(hookspecs) if n.startswith("botkit_")}
    assert functions == set(SPECS)


def test_the_guide_lists_every_hook_with_its_declared_kind() -> None:
    assert guide_rows() == {name: spec.kind.value for name, spec in SPECS.items()}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_pluggy_stops_at_the_first_result_only_for_call_first_and_quick_hooks(name: str) -> None:
    options = getattr(hookspecs, name).botkit_spec  # pluggy's marker on the function
    assert options["firstresult"] is (SPECS[name].kind in (Kind.CALL_FIRST, Kind.QUICK))


def test_registration_hooks_take_no_arguments() -> None:
    import inspect

    for name, spec in SPECS.items():
        if spec.kind is Kind.REGISTRATION:
            assert not inspect.signature(getattr(hookspecs, name)).parameters, name


def test_the_guide_lists_exactly_what_botkit_exports() -> None:
    import botkit

    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("Everything `botkit` exports")
    paragraph = text[start : text.index("\n\n", start)].split(":", 1)[1]
    assert set(re.findall(r"`(\w+)`", paragraph)) == set(botkit.__all__)


def test_the_guide_lists_exactly_what_botkit_util_exports() -> None:
    import botkit.util

    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("Small helpers plugins share live in the `botkit.util` tier")
    paragraph = text[start : text.index("\n\n", start)].split("):", 1)[1]
    assert set(re.findall(r"`(\w+)`", paragraph)) == set(botkit.util.__all__)
