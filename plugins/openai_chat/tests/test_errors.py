"""Every API failure gets a short, specific reply after the client's own retries; no key leaks."""

from __future__ import annotations

import logging

import pytest
from conftest import API_KEY, closed_port


@pytest.fixture(params=["aiohttp", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """Every failure is told apart the same way on both of the client's HTTP transports."""
    return request.param


@pytest.mark.parametrize(
    ("status", "code", "reply"),
    [
        (
            403,
            None,
            "The bot's API key may not use `gpt-4o-mini` (403). Admins can switch: !model.",
        ),
        (429, None, "The AI service is rate-limiting the bot (429). Please try again in a minute."),
        (
            429,
            "insufficient_quota",
            "The bot's AI account is out of credit (429). Please tell the bot's owner.",
        ),
        (500, None, "The AI service had an internal error (500). Please try again soon."),
        (503, None, "The AI service had an internal error (503). Please try again soon."),
        (
            400,
            "context_length_exceeded",
            "This conversation is too long for the model. Start afresh with !reset.",
        ),
        (422, None, "The AI service refused the request (422). The details are in the log."),
    ],
)
async def test_an_api_error_gets_a_specific_reply(
    chat_bot, transport, server, status, code, reply
) -> None:
    server.fail_next(status, code=code)
    async with chat_bot(http_client=transport) as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == reply


async def test_a_rejected_key_tells_the_owner_which_variable_to_check(
    chat_bot, transport, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    async with chat_bot(http_client=transport) as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == (
        "The AI service rejected the bot's API key (401). "
        "The bot's owner must check OPENAI_API_KEY."
    )


async def test_an_unknown_model_is_named(chat_bot, transport) -> None:
    async with chat_bot(model="gpt-nope", http_client=transport) as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == (
        "The AI service has no model `gpt-nope` (404). Admins can pick another: !model."
    )


async def test_a_server_that_does_not_answer_in_time(chat_bot, transport, server) -> None:
    server.hang_next()
    async with chat_bot(request_timeout=0.2, http_client=transport) as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == "The AI service did not answer within 0.2 s. Please try again."


async def test_an_answer_comes_before_the_host_would_give_up(chat_bot, transport, server) -> None:
    server.hang_next(times=3)
    async with chat_bot(
        request_timeout=30.0,
        max_retries=2,
        http_client=transport,
        config={"bot": {"hook_timeout": 1.0}},
    ) as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == "The AI service did not answer within 0.9 s. Please try again."


async def test_a_server_that_cannot_be_reached(chat_bot, transport) -> None:
    async with chat_bot(
        base_url=f"http://127.0.0.1:{closed_port()}/v1", http_client=transport
    ) as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == "I cannot reach the AI service at 127.0.0.1 right now. Try again later."


async def test_the_client_retries_before_giving_up(chat_bot, transport, server) -> None:
    server.fail_next(429, times=1)  # the fake says retry-after: 0
    async with chat_bot(max_retries=1, http_client=transport) as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == "echo: hi"
    assert len([r for r in server.requests if r.path == "/chat/completions"]) == 2


async def test_the_reply_comes_once_the_retries_are_spent(chat_bot, transport, server) -> None:
    server.fail_next(429, times=2)
    async with chat_bot(max_retries=1, http_client=transport) as bot:
        replies = await bot.send("hi", mention=True)
    assert "rate-limiting" in replies.text
    assert len([r for r in server.requests if r.path == "/chat/completions"]) == 2


async def test_a_failure_is_logged(chat_bot, transport, server, caplog) -> None:
    server.fail_next(503, message="upstream overloaded")
    caplog.set_level(logging.WARNING, logger="botkit.openai_chat")
    async with chat_bot(http_client=transport) as bot:
        await bot.send("hi", mention=True)
    assert "InternalServerError: Error code: 503 - upstream overloaded" in caplog.text


async def test_a_failed_question_is_not_remembered(chat_bot, transport, server) -> None:
    server.fail_next(500)
    async with chat_bot(http_client=transport) as bot:
        await bot.send("lost", mention=True)
        await bot.send("kept", mention=True)
    chats = [r for r in server.requests if r.path == "/chat/completions"]
    assert [m["content"] for m in chats[-1].json["messages"][1:]] == ["kept"]


async def test_the_key_never_reaches_a_reply_or_a_log(chat_bot, transport, server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server.fail_next(401, message=f"Incorrect API key provided: {API_KEY}.")
    async with chat_bot(http_client=transport) as bot:
        failed = await bot.send("hi", mention=True)
        answered = await bot.send("hi again", mention=True)
        usage = await bot.send("!usage")
    assert "[redacted]" in caplog.text
    assert API_KEY not in caplog.text
    assert all(API_KEY not in r.text for r in (failed, answered, usage))
