"""The per-user rate limit and the per-guild daily token budget, on injected clocks."""

from __future__ import annotations

import pytest

from botkit import User

ANN = User(id="41", name="ann")
BOB = User(id="42", name="bob")
TOO_FAST = "You are sending messages faster than 2 a minute. Try again in"


@pytest.fixture
def database_url(storage_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return storage_url


async def test_a_user_over_the_rate_limit_is_told_when_to_retry(chat_bot, clock) -> None:
    async with chat_bot(rate_per_minute=2) as bot:
        await bot.send("one", mention=True, user=ANN)
        clock.advance(15)
        await bot.send("two", mention=True, user=ANN)
        clock.advance(15)
        replies = await bot.send("three", mention=True, user=ANN)
    assert replies.text == f"{TOO_FAST} 30 s."


async def test_the_rate_limit_is_per_user(chat_bot) -> None:
    async with chat_bot(rate_per_minute=2) as bot:
        await bot.send("one", mention=True, user=ANN)
        await bot.send("two", mention=True, user=ANN)
        replies = await bot.send("mine", mention=True, user=BOB)
    assert replies.text == "echo: mine"


async def test_a_minute_later_the_user_may_talk_again(chat_bot, clock) -> None:
    async with chat_bot(rate_per_minute=2) as bot:
        await bot.send("one", mention=True, user=ANN)
        await bot.send("two", mention=True, user=ANN)
        clock.advance(60)
        replies = await bot.send("three", mention=True, user=ANN)
    assert replies.text == "echo: three"


async def test_a_refused_message_costs_no_request(chat_bot, server) -> None:
    async with chat_bot(rate_per_minute=1) as bot:
        await bot.send("one", mention=True, user=ANN)
        await bot.send("two", mention=True, user=ANN)
    assert len([r for r in server.requests if r.path == "/chat/completions"]) == 1


async def test_a_server_over_its_daily_budget_is_told_when_it_resets(chat_bot) -> None:
    async with chat_bot(daily_token_budget=5, system_prompt="") as bot:
        await bot.send(
            "four words right here", mention=True, user=ANN
        )  # 4 + 5 tokens on the fake server
        replies = await bot.send("more", mention=True, user=BOB)
    assert replies.text == (
        "This server used today's 5 tokens. The budget starts afresh at 00:00 UTC, in 2 h 30 min."
    )


async def test_the_budget_starts_afresh_the_next_day(chat_bot, clock) -> None:
    async with chat_bot(daily_token_budget=5, system_prompt="") as bot:
        await bot.send("four words right here", mention=True, user=ANN)
        clock.advance(3 * 3600)
        replies = await bot.send("more", mention=True, user=ANN)
    assert replies.text == "echo: more"


async def test_direct_messages_have_their_own_budget(chat_bot) -> None:
    async with chat_bot(daily_token_budget=5, system_prompt="") as bot:
        await bot.send("four words right here", mention=True, user=ANN)
        replies = await bot.dm("more", user=ANN)
    assert replies.text == "echo: more"


async def test_usage_shows_the_server_and_the_user(chat_bot) -> None:
    async with chat_bot(system_prompt="") as bot:
        await bot.send("two words", mention=True, user=ANN)  # 2 + 3 tokens
        await bot.send("three words here", mention=True, user=BOB)  # 3 + 4 tokens
        replies = await bot.send("!usage", user=ANN)
    assert replies.text == "Tokens used today (2024-05-17, UTC): this server 12; you 5."


async def test_usage_shows_the_budget_when_there_is_one(chat_bot) -> None:
    async with chat_bot(system_prompt="", daily_token_budget=1000) as bot:
        await bot.send("two words", mention=True, user=ANN)
        replies = await bot.send("!usage", user=ANN)
    assert replies.text == "Tokens used today (2024-05-17, UTC): this server 5 of 1,000; you 5."


async def test_usage_in_direct_messages_counts_the_user(chat_bot) -> None:
    async with chat_bot(system_prompt="") as bot:
        await bot.dm("two words", user=ANN)
        replies = await bot.dm("!usage", user=ANN)
    assert replies.text == "Tokens used today (2024-05-17, UTC) in direct messages: you 5."


async def test_usage_counts_only_today(chat_bot, clock) -> None:
    async with chat_bot(system_prompt="") as bot:
        await bot.send("two words", mention=True, user=ANN)
        clock.advance(3 * 3600)
        replies = await bot.send("!usage", user=ANN)
    assert replies.text == "Tokens used today (2024-05-18, UTC): this server 0; you 0."
