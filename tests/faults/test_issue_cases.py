"""Issue 11's bad inputs, sent to the installed plugins: each gets a clear reply, no failure
(``World.check`` fails on a traceback, a failure notice, a plugin's error or the key)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fuzz_world import KEY, KEY_ENV, World

import botkit
from botkit.testing import MEMBER, BotHarness


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, World]]:
    with pytest.MonkeyPatch.context() as patch, asyncio.Runner() as runner:
        patch.setenv(KEY_ENV, KEY)
        opened = runner.run(World.open(tmp_path_factory.mktemp("issue") / "data"))
        try:
            yield runner, opened
        finally:
            runner.run(opened.close())


def ask(world: tuple[asyncio.Runner, World], content: str, **kwargs: object) -> str:
    runner, w = world
    return "\n".join(runner.run(w.check(content, **kwargs)))  # type: ignore[arg-type]


def test_json_nested_5000_deep_is_refused_with_the_limit(world) -> None:
    assert "nested 5,000 levels deep" in ask(world, "!test " + "[" * 5000 + "]" * 5000)


def test_a_lone_surrogate_in_test_is_answered(world) -> None:
    assert "Accuracy: 0/1" in ask(world, '!test [{"input": "\ud800 hi", "expected": "x"}]')


def test_a_lone_surrogate_in_a_chat_message_is_answered(world) -> None:
    assert ask(world, "hi \ud800", dm=True, user=MEMBER) == "echo: hi \ufffd"


def test_a_preference_row_of_the_wrong_shape_is_listed_as_unusable(world) -> None:
    row = b'{"input":[1],"preferred_output":[],"non_preferred_output":[]}\n'
    reply = ask(world, "!train", attachments=(BotHarness.attachment("rows.jsonl", row),))
    assert "Not used:\n- rows.jsonl line 1: a preference row needs" in reply


@pytest.mark.parametrize("command", ["!archive", "!select_dataset", "!train dir", "!dataset"])
def test_a_300_character_name_gets_a_clear_reply(world, command: str) -> None:
    reply = ask(world, f"{command} {'n' * 300}")
    assert "too long" in reply or "64 letters" in reply, reply


def test_a_nul_character_is_stored_on_postgresql(tmp_path, monkeypatch, postgres_url) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    with asyncio.Runner() as runner:
        w = runner.run(World.open(tmp_path / "data", postgres_url))
        try:
            reply = runner.run(w.check("!feedback nul \x00 here"))
        finally:
            runner.run(w.close())
    assert reply and "\x00" not in "".join(reply)


class StringModels:
    @botkit.hookimpl
    def botkit_models(self, plugin: botkit.PluginHandle, guild_id: str | None) -> str:
        return "tuned"


class ListedModels:
    @botkit.hookimpl
    def botkit_models(self, plugin: botkit.PluginHandle, guild_id: str | None) -> list[str]:
        return ["ft:gpt-4o-mini:ours"]


def test_models_given_as_a_string_are_not_listed_letter_by_letter(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    extra = {"stringy": StringModels(), "listed": ListedModels()}
    with asyncio.Runner() as runner:
        w = runner.run(World.open(tmp_path / "data", extra=extra))
        try:
            reply = runner.run(w.harness.send("!model")).text
            status = w.harness.bot.plugins.statuses["stringy"]
        finally:
            runner.run(w.close())
    assert "Also available here: `ft:gpt-4o-mini:ours`" in reply
    assert "`t`" not in reply
    assert status.bad_results == 1


@pytest.mark.parametrize("name", ['""', ".", ".."])
def test_a_model_name_the_sdk_refuses_gets_a_clear_reply(world, name: str) -> None:
    assert ask(world, f"!model {name}")
