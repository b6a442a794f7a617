"""Streamed answers: the message grows by edits, and the tokens are still counted."""

from __future__ import annotations

from conftest import said

LONG = " ".join(f"word{n}" for n in range(30))


async def test_a_streamed_answer_ends_as_the_whole_text(chat_bot, server) -> None:
    server.chat_handler = lambda body: LONG
    async with chat_bot(stream=True) as bot:
        replies = await bot.send("talk", mention=True)
    assert replies.text == LONG


async def test_a_streamed_answer_is_edited_while_it_is_written(chat_bot, server, clock) -> None:
    server.chat_handler = lambda body: LONG
    clock.tick = 0.5  # each piece arrives half a second after the one before
    async with chat_bot(stream=True) as bot:
        await bot.send("talk", mention=True)
    edits = [e.text for e in bot.adapter.edits]
    assert len(edits) >= 2
    assert all(LONG.startswith(text) for text in edits)
    assert edits[-1] == LONG


async def test_a_streamed_request_asks_for_the_usage(chat_bot, server) -> None:
    async with chat_bot(stream=True) as bot:
        await bot.send("talk", mention=True)
    body = server.requests[-1].json
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_a_streamed_answer_counts_its_tokens(chat_bot, server) -> None:
    server.chat_handler = lambda body: "three word answer"
    async with chat_bot(stream=True, system_prompt="") as bot:
        await bot.send("two words", mention=True)
        usage = await bot.send("!usage")
    assert "this server 5;" in usage.text  # 2 prompt + 3 answer words on the fake server


async def test_a_streamed_answer_is_remembered(chat_bot, server) -> None:
    async with chat_bot(stream=True) as bot:
        await bot.send("first", mention=True)
        await bot.send("second", mention=True)
    assert said(server) == ["first", "echo: first", "second"]


async def test_a_stream_that_fails_says_why(chat_bot, server) -> None:
    server.fail_next(503)
    async with chat_bot(stream=True) as bot:
        replies = await bot.send("talk", mention=True)
    assert replies.text == "The AI service had an internal error (503). Please try again soon."


async def test_an_empty_stream_is_explained(chat_bot, server) -> None:
    server.chat_handler = lambda body: ""
    async with chat_bot(stream=True) as bot:
        replies = await bot.send("talk", mention=True)
    assert replies.text == "The model sent an empty answer. Please ask again in other words."
