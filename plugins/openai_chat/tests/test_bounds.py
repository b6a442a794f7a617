"""Bounded state: idle conversations expire, old usage rolls up, quiet users are forgotten."""

from __future__ import annotations

import pytest
from botkit_openai_chat import state as state_module
from botkit_openai_chat import store
from botkit_openai_chat.limits import RateLimiter
from conftest import chat_state, said
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from botkit import Channel, User

ANN = User(id="41", name="ann")
DAY = 24 * 3600.0


@pytest.fixture
def database_url(storage_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return storage_url


async def rows(bot, table) -> int:
    async with bot.bot.storage.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_a_conversation_idle_too_long_starts_afresh(chat_bot, server, clock) -> None:
    async with chat_bot(conversation_idle_days=2) as bot:
        await bot.send("my name is Ann", mention=True, user=ANN)
        clock.advance(2 * DAY + 1)
        await bot.send("what is my name?", mention=True, user=ANN)
    assert said(server) == ["what is my name?"]


async def test_a_conversation_within_the_idle_time_is_remembered(chat_bot, server, clock) -> None:
    async with chat_bot(conversation_idle_days=2) as bot:
        await bot.send("my name is Ann", mention=True, user=ANN)
        clock.advance(2 * DAY - 60)
        await bot.send("what is my name?", mention=True, user=ANN)
    assert said(server) == ["my name is Ann", "echo: my name is Ann", "what is my name?"]


async def test_the_sweep_deletes_idle_conversations_only(chat_bot, clock) -> None:
    async with chat_bot(conversation_idle_days=2) as bot:
        await bot.send("old", mention=True, user=ANN)
        clock.advance(3 * DAY)
        await bot.dm("recent", user=ANN)
        gone, _ = await chat_state(bot).sweep()
        left = await rows(bot, store.turns)
    assert (gone, left) == (2, 2)


async def test_conversations_never_expire_with_an_idle_time_of_zero(chat_bot, clock) -> None:
    async with chat_bot(conversation_idle_days=0) as bot:
        await bot.send("old", mention=True, user=ANN)
        clock.advance(400 * DAY)
        gone, _ = await chat_state(bot).sweep()
        left = await rows(bot, store.turns)
    assert (gone, left) == (0, 2)


async def test_old_usage_keeps_the_server_total_without_the_user(chat_bot, clock) -> None:
    async with chat_bot(usage_retention_days=30, system_prompt="") as bot:
        await bot.send("two words", mention=True, user=ANN)  # 2 + 3 tokens on the fake server
        await bot.send("three more words", mention=True, user=bot.member)  # 3 + 4
        clock.advance(31 * DAY)
        _, rolled = await chat_state(bot).sweep()
        async with bot.bot.storage.engine.connect() as conn:
            kept = (await conn.execute(select(store.usage))).all()
    assert rolled == 2
    assert [(r.guild_id, r.user_id, r.tokens) for r in kept] == [("500", "", 12)]


async def test_recent_usage_stays_per_user(chat_bot, clock) -> None:
    async with chat_bot(usage_retention_days=30, system_prompt="") as bot:
        await bot.send("hello", mention=True, user=ANN)  # 1 + 2 tokens on the fake server
        clock.advance(29 * DAY)
        _, rolled = await chat_state(bot).sweep()
        async with bot.bot.storage.engine.connect() as conn:
            kept = (await conn.execute(select(store.usage))).all()
    assert rolled == 0
    assert [(r.guild_id, r.user_id, r.tokens) for r in kept] == [("500", "41", 3)]


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limiter_forgets_users_quiet_for_a_minute() -> None:
    clock = Ticks()
    limiter = RateLimiter(clock)
    for n in range(1000):
        limiter.wait(f"user-{n}", 5)
    clock.now = 61.0
    limiter.wait("late", 5)
    assert limiter.tracked() == 1


@given(st.lists(st.tuples(st.integers(0, 30), st.floats(0, 20)), max_size=200))
def test_the_rate_limiter_tracks_only_users_of_the_last_minute(events) -> None:
    clock = Ticks()
    limiter = RateLimiter(clock)
    seen: dict[str, float] = {}
    for user, pause in events:
        clock.now += pause
        limiter.wait(str(user), 3)
        seen[str(user)] = clock.now
    recent = {u for u, at in seen.items() if clock.now - at < 60}
    assert limiter.tracked() <= len(recent)


def test_the_rate_limiter_forgets_a_user_on_request() -> None:
    limiter = RateLimiter(Ticks())
    limiter.wait("ann", 5)
    limiter.wait("bob", 5)
    limiter.forget("ann")
    assert limiter.tracked() == 1


async def test_the_cache_of_server_choices_is_bounded(chat_bot, monkeypatch) -> None:
    monkeypatch.setattr(state_module, "GUILDS_CACHED", 2)
    async with chat_bot() as bot:
        for guild in ("501", "502", "503"):
            channel = Channel(id=f"6{guild}", name="general", guild_id=guild)
            replies = await bot.send("hi", mention=True, user=ANN, channel=channel)
            assert replies.text == "echo: hi"
        cached = chat_state(bot).guilds_cached()
    assert cached == 2
