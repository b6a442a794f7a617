"""When the chat plugin cannot answer, it raises CommandError: the user reads the same short
text, and a plugin asking through ``ctx.answer`` (the trainer's ``!test``) gets no answer."""

from __future__ import annotations

import pytest
from test_setup import MISSING

from botkit import CommandError, Context, command, hookimpl


class Asker:
    """``!ask TEXT``: what ``ctx.answer`` gives, or the CommandError it raises."""

    @hookimpl
    def botkit_commands(self) -> list:
        async def ask(ctx: Context, *, text: str) -> str:
            try:
                reply = await ctx.answer(text)
            except CommandError as exc:
                return f"no answer: {exc}"
            return f"answer: {reply.text if reply else None}"

        return [command(ask)]


INTERNAL = "The AI service had an internal error (500). Please try again soon."


async def test_without_a_key_the_user_reads_why(chat_bot, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    async with chat_bot(plugins={"asker": Asker()}) as bot:
        asked = await bot.send("!ask hi")
        chatted = await bot.send("hi", mention=True)
    assert asked.text == f"no answer: {MISSING}"
    assert chatted.text == "Chat is off until the bot's owner sets OPENAI_API_KEY."


@pytest.mark.parametrize("stream", [False, True])
async def test_an_api_error_is_no_answer(chat_bot, server, stream) -> None:
    async with chat_bot(plugins={"asker": Asker()}, stream=stream) as bot:
        server.fail_next(500)
        asked = await bot.send("!ask hi")
        server.fail_next(500)
        chatted = await bot.send("hi", mention=True)
    assert asked.text == f"no answer: {INTERNAL}"
    assert chatted.text == INTERNAL


async def test_a_time_out_is_no_answer(chat_bot, server) -> None:
    server.hang_next()
    async with chat_bot(plugins={"asker": Asker()}, request_timeout=0.2) as bot:
        asked = await bot.send("!ask hi")
    assert asked.text == "no answer: The AI service did not answer within 0.2 s. Please try again."


async def test_a_rate_limited_question_is_no_answer(chat_bot) -> None:
    async with chat_bot(plugins={"asker": Asker()}, rate_per_minute=1) as bot:
        await bot.send("!ask first")
        asked = await bot.send("!ask second")
    assert asked.text.startswith("no answer: You are sending messages faster than 1 a minute.")


async def test_an_answer_is_still_an_answer(chat_bot, server) -> None:
    async with chat_bot(plugins={"asker": Asker()}, stream=True) as bot:
        asked = await bot.send("!ask hi")
    assert asked.text == "answer: echo: hi"
    assert server.requests[-1].json.get("stream") is None  # ctx.answer's question is not streamed
