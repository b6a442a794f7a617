"""Hostile input gets a clear reply: deep or huge JSON, lone surrogates, rows of the wrong
shape, over-long names, and services that echo the key they were sent."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botkit_trainer.redact import mask, reason
from botkit_trainer.scoring import BadCases, parse_cases
from botkit_trainer.tables import examples
from conftest import KEY, KEY_ENV, Chat, both_backends, qa_lines, replies_and_logs
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from botkit_testkit.openai_server import FakeOpenAI

LONG = "n" * 300
TOO_LONG = (
    "the name is too long (at most 255 bytes a name, 1024 characters in all). Give a directory "
    "relative to the bot's data directory, e.g. `datasets/faq`."
)


async def test_deeply_nested_json_is_refused(start: Any) -> None:
    async with start({"chat": Chat({})}) as bot:
        replies = await bot.send("!test " + "[" * 5000 + "]" * 5000)
    assert replies.text.startswith(
        "That JSON is nested 5,000 levels deep; at most 20 are allowed. Example: `!test "
    )


async def test_oversized_json_is_refused(start: Any) -> None:
    async with start({"chat": Chat({})}, max_json_chars=100) as bot:
        replies = await bot.send('!test [{"input": "' + "a" * 200 + '", "expected": "b"}]')
    assert replies.text.startswith("That is 232 characters of JSON; at most 100 are allowed.")


@pytest.mark.parametrize("surrogate", ["\ud800", "\\ud800"])
async def test_lone_surrogates_in_test_cases_are_replaced(start: Any, surrogate: str) -> None:
    chat = Chat({"a\ufffd?": "a\ufffd"})
    async with start({"chat": chat}) as bot:
        replies = await bot.send(f'!test [{{"input": "a{surrogate}?", "expected": "a"}}]')
    assert chat.calls[0][0] == "a\ufffd?"
    assert replies.text.startswith("1. ✅ 1.00 a\ufffd? → a\ufffd")


async def test_lone_surrogates_in_train_are_stored_replaced(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train caf\udce9? => open")
        async with bot.bot.storage.session() as session:
            [content] = (await session.execute(select(examples.c.content))).scalars()
    assert "added 1 positive" in replies.text
    assert json.loads(content)["messages"][0]["content"] == "caf\ufffd?"


@both_backends
async def test_escaped_surrogates_and_nul_in_training_files_are_cleaned(start: Any) -> None:
    rows = b'{"prompt": "caf\\ud800 \\u0000open?", "completion": "yes\\u0000"}\n'
    async with start() as bot:
        replies = await bot.send("!train", attachments=[bot.attachment("odd.jsonl", rows)])
        async with bot.bot.storage.session() as session:
            [content] = (await session.execute(select(examples.c.content))).scalars()
    assert "added 1 positive" in replies.text
    assert json.loads(content)["messages"] == [
        {"role": "user", "content": "caf\ufffd open?"},
        {"role": "assistant", "content": "yes"},
    ]


async def test_training_rows_of_the_wrong_shape_are_listed(start: Any) -> None:
    rows = b'{"input":[1],"preferred_output":[],"non_preferred_output":[]}\n' + qa_lines(1)
    async with start() as bot:
        replies = await bot.send("!train", attachments=[bot.attachment("odd.jsonl", rows)])
    assert replies.text == (
        "Dataset **default**: added 1 positive and 0 negative Q&A examples.\nNot used:\n"
        "- odd.jsonl line 1: a preference row needs input.messages ending with a user message "
        "and one assistant message in preferred_output and in non_preferred_output"
    )


@pytest.mark.parametrize("command", ["!archive", "!select_dataset", "!train dir"])
async def test_over_long_names_are_refused(start: Any, command: str) -> None:
    async with start() as bot:
        replies = await bot.send(f"{command} {LONG}")
        nested = await bot.send(f"{command} datasets/{LONG}/x")
    assert replies.text == TOO_LONG
    assert nested.text == TOO_LONG


async def test_a_key_echoed_by_the_service_never_reaches_a_reply_or_log(
    start: Any, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    fake.echo_key = True
    wrong = "my-own-credential-0123456789"  # no well-known prefix: masked because it is the key
    monkeypatch.setenv(KEY_ENV, wrong)
    async with start() as bot:
        await bot.send("!train", attachments=[bot.attachment("a.jsonl", qa_lines(3))])
        replies = await bot.send("!train start")
    assert replies.text == (
        "Fine-tuning did not start: the fine-tuning API answered 401: Incorrect API key "
        f"provided: ****. Check the key in {KEY_ENV}."
    )
    seen = replies_and_logs(replies, caplog)
    assert wrong not in seen and KEY not in seen


def test_credential_shapes_are_masked() -> None:
    text = (
        "auth failed for Bearer abc.def, sk-proj-1234567890abcdef, api_key=hunter22; "
        'token: "xyz98765", job ftjob-abc123 and file-456 stay'
    )
    assert mask(text) == (
        'auth failed for ****, ****, api_key=****; token: "****", job ftjob-abc123 and '
        "file-456 stay"
    )


def test_reasons_are_one_short_line() -> None:
    assert reason("line one\n" + "x" * 500) == "line one " + "x" * 190 + "…"


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.text(), lambda c: st.lists(c, max_size=3)))
def test_any_json_is_parsed_or_refused_clearly(value: Any) -> None:
    raw = json.dumps(value)
    try:
        parse_cases(raw, 5)
    except BadCases as exc:
        assert str(exc)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_parsed_or_refused_clearly(raw: str) -> None:
    try:
        cases = parse_cases(raw, 5)
    except BadCases as exc:
        assert str(exc).encode("utf-8")
    else:
        assert all(re.sub("[\ud800-\udfff]", "", c.input) == c.input for c in cases)


@settings(max_examples=300, deadline=None)
@given(
    key=st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
        min_size=8,
        max_size=60,
    ),
    before=st.text(max_size=80),
    after=st.text(max_size=80),
)
def test_a_key_is_masked_wherever_it_appears(key: str, before: str, after: str) -> None:
    shown = reason(f"{before}{key}{after}", [key])
    assert key not in shown
