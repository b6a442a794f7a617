"""!test: the chat backend answers each case; scores, accuracy, recorded mismatches."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botkit_trainer.tables import examples
from conftest import Chat
from sqlalchemy import select

from botkit import CommandError, Context, hookimpl

CASES = json.dumps(
    [
        {"input": "Capital of France?", "expected": "Paris"},
        {"input": "2+2?", "expected": "4"},
    ]
)


async def test_scores_accuracy_and_mismatches(start: Any) -> None:
    chat = Chat({"Capital of France?": "It is Paris.", "2+2?": "5"})
    async with start({"chat": chat}) as bot:
        replies = await bot.send(f"!test {CASES}", user=bot.member)
        async with bot.bot.storage.session() as session:
            rows = (
                await session.execute(
                    select(examples.c.label, examples.c.source, examples.c.content)
                )
            ).all()
    assert replies.text == (
        "1. ✅ 1.00 Capital of France? → It is Paris.\n"
        "2. ❌ 0.00 2+2? → 5 (expected: 4)\n"
        "Accuracy: 1/2 (50%).\n"
        "1 mismatch(es) recorded in dataset default (expected answer as positive, the bot's "
        "answer as negative)."
    )
    assert sorted(
        (label, source, json.loads(c)["messages"][1]["content"]) for label, source, c in rows
    ) == [
        ("negative", "test", "5"),
        ("positive", "test", "4"),
    ]


async def test_streamed_answers_are_read_whole(start: Any) -> None:
    chat = Chat({"Capital of France?": "Paris of course", "2+2?": "4"}, stream=True)
    async with start({"chat": chat}) as bot:
        replies = await bot.send(f"!test {CASES}")
    assert "→ Paris of course" in replies.text
    assert "Accuracy: 2/2 (100%)." in replies.text


async def test_cases_get_the_document_context(start: Any) -> None:
    chat = Chat({})
    async with start({"chat": chat}) as bot:
        await bot.send("!train Paris is the capital of France.")
        await bot.send(f"!test {CASES}")
    assert chat.calls[0] == ("Capital of France?", ["Paris is the capital of France."])


async def test_invalid_json(start: Any) -> None:
    async with start({"chat": Chat({})}) as bot:
        replies = await bot.send('!test [{"input": "a", ')
    assert replies.text.startswith("That is not valid JSON (")
    assert replies.text.endswith('Example: `!test [{"input": "What is 2+2?", "expected": "4"}]`')


async def test_wrong_shape(start: Any) -> None:
    async with start({"chat": Chat({})}) as bot:
        replies = await bot.send('!test [{"question": "a"}]')
    assert replies.text.startswith("Case 1 needs a non-empty text input and expected.")


async def test_too_many_cases(start: Any) -> None:
    cases = json.dumps([{"input": str(i), "expected": str(i)} for i in range(3)])
    async with start({"chat": Chat({})}, max_test_cases=2) as bot:
        replies = await bot.send(f"!test {cases}")
    assert replies.text.startswith("That is 3 cases; one !test runs at most 2.")


async def test_missing_cases(start: Any) -> None:
    async with start({"chat": Chat({})}) as bot:
        replies = await bot.send("!test")
    assert replies.text == "cases is missing. Usage: `!test <cases…>`"


async def test_without_a_chat_plugin(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send(f"!test {CASES}")
    assert replies.text == "No chat plugin is installed, so there is nothing to test."


class Failing:
    """A chat plugin whose every answer is a non-answer, as the chat plugin reports one."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        raise CommandError(self.reason)


class Silent:
    """A chat plugin that implements respond but answers nothing (None, or empty text)."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str | None:
        return self.answer


async def stored_examples(bot: Any) -> list[Any]:
    async with bot.bot.storage.session() as session:
        return list((await session.execute(select(examples.c.content))).scalars())


@pytest.mark.parametrize(
    "reason",
    [
        "The chat needs an API key: set OPENAI_API_KEY.",
        "The chat API answered 500: server error.",
        "The chat API did not answer in time.",
        "The model refused to answer.",
    ],
)
async def test_a_non_answer_stores_nothing(start: Any, reason: str) -> None:
    async with start({"chat": Failing(reason)}) as bot:
        replies = await bot.send(f"!test {CASES}", user=bot.member)
        rows = await stored_examples(bot)
        status = bot.status("trainer")
    shown = reason[0].lower() + reason[1:-1]
    assert replies.text == f"The test could not run: {shown}. Nothing was stored."
    assert rows == []
    assert status.failures == 0


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (None, "no chat plugin answered case 1"),
        ("   ", "the chat plugin gave an empty answer to case 1"),
    ],
)
async def test_no_answer_or_an_empty_one_stores_nothing(
    start: Any, answer: str | None, why: str
) -> None:
    async with start({"chat": Silent(answer)}) as bot:
        replies = await bot.send(f"!test {CASES}", user=bot.member)
        rows = await stored_examples(bot)
    assert replies.text == f"The test could not run: {why}. Nothing was stored."
    assert rows == []


async def test_a_non_answer_to_a_later_case_stores_nothing_either(start: Any) -> None:
    class SecondFails:
        @hookimpl
        async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
            if text == "2+2?":
                raise CommandError("The chat API did not answer in time.")
            return "London"

    async with start({"chat": SecondFails()}) as bot:
        replies = await bot.send(f"!test {CASES}", user=bot.member)
        rows = await stored_examples(bot)
    assert replies.text == (
        "The test could not run: the chat API did not answer in time. Nothing was stored."
    )
    assert rows == []
