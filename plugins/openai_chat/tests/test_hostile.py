"""Input that must never crash the chat, and remote errors that must never leak a key."""

from __future__ import annotations

import logging

from conftest import API_KEY, said

from botkit import User

ANN = User(id="41", name="ann")
OTHER_CREDENTIAL = "sk-proj-AbCdEf0123456789XyZ"


async def test_a_lone_surrogate_in_a_message_is_answered(chat_bot, server) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("bad \ud800 text", mention=True, user=ANN)
        again = await bot.send("and now?", mention=True, user=ANN)
    assert replies.text == "echo: bad \ufffd text"
    assert again.text == "echo: and now?"
    assert said(server) == ["bad \ufffd text", "echo: bad \ufffd text", "and now?"]


async def test_a_lone_surrogate_in_an_answer_is_replaced(chat_bot, server) -> None:
    server.chat_handler = lambda body: "half a pair: \ud83d!"
    async with chat_bot() as bot:
        replies = await bot.send("hi", mention=True, user=ANN)
    assert replies.text == "half a pair: \ufffd!"


async def test_a_lone_surrogate_in_a_streamed_answer_is_replaced(chat_bot, server) -> None:
    server.chat_handler = lambda body: "a \udc00 b"
    async with chat_bot(stream=True) as bot:
        replies = await bot.send("hi", mention=True, user=ANN)
    assert replies.text == "a \ufffd b"


async def test_an_error_echoing_the_key_is_logged_without_it(chat_bot, server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server.fail_next(500, message=f"upstream said: bad header Bearer {API_KEY}")
    async with chat_bot() as bot:
        replies = await bot.send("hi", mention=True, user=ANN)
    assert replies.text == "The AI service had an internal error (500). Please try again soon."
    assert "InternalServerError: Error code: 500 - upstream said: bad header [redacted]" in (
        caplog.text
    )
    assert API_KEY not in caplog.text


async def test_anything_that_looks_like_a_credential_is_masked(chat_bot, server, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="botkit.openai_chat")
    server.fail_next(422, message=f"project key {OTHER_CREDENTIAL} is not allowed here")
    async with chat_bot() as bot:
        replies = await bot.send("hi", mention=True, user=ANN)
    assert "(422)" in replies.text
    assert "project key [redacted] is not allowed here" in caplog.text
    assert OTHER_CREDENTIAL not in caplog.text


async def test_a_long_remote_reason_is_cut_short(chat_bot, server, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="botkit.openai_chat")
    server.fail_next(503, message="overloaded " * 100)
    async with chat_bot() as bot:
        await bot.send("hi", mention=True, user=ANN)
    (line,) = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert line.endswith("…")
    assert len(line) < 300
