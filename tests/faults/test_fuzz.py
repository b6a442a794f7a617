"""Random command lines, attachments and JSON against every installed plugin."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from fuzz_world import FUZZ, KEY, KEY_ENV, USERS, World, examples
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.commands import Command, Parameter
from botkit.models import Attachment

# every code point, lone surrogates and NUL included
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
WORDS = st.sampled_from(
    [
        "confirm", "enable", "disable", "reset", "start", "dir", "positive", "negative", "me",
        "sft", "dpo", "auto", "default", "openai_chat", "trainer", "voice", "feedback",
        "builtin", "temperature", "history_tokens", "speak_when", "0", "-1", "1e309", "nan",
        "99999999999999999999", "..", "../../etc/passwd", "/etc/passwd", "a" * 300,
        "\ud800", "\x00", '"', "'", "```", "{}", "[]", '{"input":"x"}', "@everyone",
    ]
)  # fmt: skip
ARGUMENT = st.one_of(WORDS, ANY_TEXT, st.integers().map(str))


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[asyncio.Runner, World]]:
    monkeypatch.setenv(KEY_ENV, KEY)
    with asyncio.Runner() as runner:
        opened = runner.run(World.open(tmp_path / "data"))
        try:
            yield runner, opened
        finally:
            runner.run(opened.close())


def test_every_installed_plugin_is_in_the_fuzzed_bot(world) -> None:
    _, w = world
    assert {"openai_chat", "trainer", "voice", "feedback"} <= set(w.loaded())


def test_random_command_lines_never_crash(world) -> None:
    runner, w = world
    names = w.commands

    @settings(FUZZ, max_examples=examples(2.0))
    @given(
        name=st.sampled_from(names),
        args=st.lists(ARGUMENT, max_size=4),
        user=st.sampled_from(USERS),
        dm=st.booleans(),
    )
    def example(name: str, args: list[str], user, dm: bool) -> None:
        runner.run(w.check(" ".join([f"!{name}", *args]), user=user, dm=dm))

    example()
    assert w.seen >= 0.9 * examples(2.0), w.seen  # (nearly) all planned examples ran
    # a good share ran a command (about a quarter: most random arguments or users are refused)
    assert w.invoked >= examples(2.0) // 5, w.invoked


def test_random_plain_messages_never_crash(world) -> None:
    runner, w = world

    @settings(FUZZ, max_examples=examples(0.5))
    @given(text=st.one_of(ANY_TEXT, st.lists(ARGUMENT).map(" ".join)), user=st.sampled_from(USERS))
    def example(text: str, user) -> None:
        runner.run(w.check(text, user=user, dm=True))

    example()
    assert w.seen >= 0.9 * examples(0.5), w.seen  # (nearly) all planned examples ran


CONTENT_TYPES = st.sampled_from(
    [
        "audio/ogg", "audio/mpeg", "audio/wav", "audio/x-unknown", "text/plain",
        "text/csv", "text/markdown", "application/json", "application/zip",
        "application/octet-stream", "", "audio/ogg; codecs=opus",
    ]
)  # fmt: skip
FILENAMES = st.one_of(
    st.sampled_from(["note.ogg", "a.mp3", "notes.txt", "data.jsonl", "t.csv", "x.zip", "x.md"]),
    st.tuples(ANY_TEXT, st.sampled_from([".txt", ".jsonl", ".ogg", ".zip", ".csv", ""])).map(
        "".join
    ),
)
DECLARED = st.one_of(st.none(), st.sampled_from([0, 2**31, 10**12, -1]))


@st.composite
def attachments(draw: st.DrawFn) -> Attachment:
    data = draw(st.one_of(st.binary(max_size=2048), st.just(b""), ANY_TEXT.map(_utf8)))
    declared = draw(DECLARED)
    voice = draw(st.booleans())

    async def read() -> bytes:
        return data

    return Attachment(
        draw(FILENAMES),
        len(data) if declared is None else declared,
        draw(CONTENT_TYPES),
        is_voice_message=voice,
        reader=read,
    )


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def test_random_attachments_never_crash(world) -> None:
    runner, w = world

    @settings(FUZZ, max_examples=examples(0.4))
    @given(
        files=st.lists(attachments(), min_size=1, max_size=2),
        line=st.sampled_from(["", "!train", "!train negative", "!train text", "!say hi"]),
        user=st.sampled_from(USERS),
    )
    def example(files: list[Attachment], line: str, user) -> None:
        runner.run(w.check(line, user=user, dm=True, attachments=tuple(files)))

    example()
    assert w.seen >= 0.9 * examples(0.4), w.seen  # (nearly) all planned examples ran


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
DEEP = st.integers(1, 6000).map(lambda n: "[" * n + "]" * n) | st.integers(1, 6000).map(
    lambda n: '{"a":' * n + "1" + "}" * n
)
CASES = st.lists(st.fixed_dictionaries({"input": JSON, "expected": JSON}) | JSON, max_size=3).map(
    lambda v: json.dumps(v, ensure_ascii=False)
)


def test_random_json_to_test_never_crashes(world) -> None:
    runner, w = world

    @settings(FUZZ, max_examples=examples(0.6))
    @given(payload=st.one_of(JSON.map(json.dumps), CASES, DEEP, ANY_TEXT))
    def example(payload: str) -> None:
        runner.run(w.check(f"!test {payload}"))

    example()
    assert w.seen >= 0.9 * examples(0.6), w.seen  # (nearly) all planned examples ran
    assert w.invoked >= examples(0.6) // 4, w.invoked  # a good share ran a command


def typed_value(param: Parameter) -> st.SearchStrategy[Any]:
    """A value of the parameter's own type, as a slash command's option arrives."""
    if param.type is int:
        return st.integers()
    if param.type is float:
        return st.floats()
    if param.type is bool:
        return st.booleans()
    if param.type is Attachment:
        return attachments()
    return ARGUMENT


def as_word(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return f'"{text}"' if (" " in text or not text) and '"' not in text else text


def test_random_typed_arguments_never_crash(world) -> None:
    runner, w = world
    commands = w.harness.bot.commands.unique()

    @settings(FUZZ, max_examples=examples(1.0))
    @given(cmd=st.sampled_from(commands), data=st.data(), user=st.sampled_from(USERS))
    def example(cmd: Command, data: st.DataObject, user) -> None:
        words, files = [f"!{cmd.name}"], []
        for param in cmd.parameters:
            if not param.required and data.draw(st.booleans()):
                break
            value = data.draw(typed_value(param))
            (files if param.type is Attachment else words).append(
                value if param.type is Attachment else as_word(value)
            )
        runner.run(w.check(" ".join(words), user=user, attachments=tuple(files)))

    example()
    assert w.seen >= 0.9 * examples(1.0), w.seen  # (nearly) all planned examples ran
    assert w.invoked >= examples(1.0) // 4, w.invoked  # a good share ran a command


def test_random_slash_commands_never_crash(world) -> None:
    runner, w = world
    commands = w.harness.bot.commands.unique()

    @settings(FUZZ, max_examples=examples(1.0))
    @given(cmd=st.sampled_from(commands), data=st.data(), user=st.sampled_from(USERS))
    def example(cmd: Command, data: st.DataObject, user) -> None:
        values = {}
        for param in cmd.parameters:
            present = param.required or data.draw(st.booleans())
            values[param.name] = data.draw(typed_value(param)) if present else param.default
        runner.run(w.check_slash(cmd, values, user))

    example()
    assert w.seen >= 0.9 * examples(1.0), w.seen  # (nearly) all planned examples ran
    assert w.invoked >= examples(1.0) // 4, w.invoked  # a good share ran a command


def test_random_reactions_never_crash(world) -> None:
    runner, w = world
    runner.run(w.check("hello", dm=True))
    runner.run(w.check("!hi"))

    @settings(FUZZ, max_examples=examples(0.3))
    @given(
        target=st.one_of(st.sampled_from([s.id for s in w.harness.adapter.sent]), ANY_TEXT),
        emoji=st.one_of(st.sampled_from(["👍", "👎", "❤️", "x"]), ANY_TEXT),
        user=st.sampled_from(USERS),
        added=st.booleans(),
    )
    def example(target: str, emoji: str, user, added: bool) -> None:
        runner.run(w.check_reaction(target, emoji, user, added))

    example()
    assert w.seen >= 0.9 * examples(0.3), w.seen  # (nearly) all planned examples ran


def test_random_server_settings_never_crash(world) -> None:
    runner, w = world
    fields = [
        (plugin, field.name)
        for plugin, values in w.harness.bot.settings.items()
        for field in attrs.fields(type(values))
    ]

    @settings(FUZZ, max_examples=examples(0.5))
    @given(
        target=st.sampled_from(fields),
        value=st.one_of(ARGUMENT, st.floats().map(str)),
        user=st.sampled_from(USERS),
    )
    def example(target: tuple[str, str], value: str, user) -> None:
        plugin, key = target
        runner.run(w.check(f"!config {plugin} {key} {as_word(value)}", user=user))
        runner.run(w.check("hello", user=user, dm=True))

    example()
    assert w.seen >= 0.9 * examples(0.5), w.seen  # (nearly) all planned examples ran


UNSTORABLE = st.text(st.sampled_from("\x00\ud800\udfff\ufeffa "), min_size=1, max_size=6)


def test_random_inputs_on_postgresql_never_crash(tmp_path, monkeypatch, postgres_url) -> None:
    """PostgreSQL refuses what SQLite takes (NUL in text, over-long values): the same inputs,
    stored there."""
    monkeypatch.setenv(KEY_ENV, KEY)
    with asyncio.Runner() as runner:
        w = runner.run(World.open(tmp_path / "data", postgres_url))
        try:

            @settings(FUZZ, max_examples=examples(0.6))
            @given(
                name=st.sampled_from(w.commands),
                args=st.lists(st.one_of(ARGUMENT, UNSTORABLE), min_size=1, max_size=3),
                files=st.lists(attachments(), max_size=1),
                user=st.sampled_from(USERS),
                plain=st.booleans(),
            )
            def example(name: str, args: list[str], files, user, plain: bool) -> None:
                line = " ".join(args) if plain else " ".join([f"!{name}", *args])
                runner.run(w.check(line, user=user, dm=plain, attachments=tuple(files)))

            example()
            assert w.seen >= 0.9 * examples(0.6), w.seen  # (nearly) all planned examples ran
        finally:
            runner.run(w.close())
