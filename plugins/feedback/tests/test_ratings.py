"""👍/👎 reactions on the bot's replies become ratings, one per user and message."""

from __future__ import annotations

import pytest


async def unreact(bot, message_id: str, emoji: str, user) -> None:
    await bot.react(message_id, emoji, user=user, added=False)


def votes(rows) -> list[tuple[str, str, int]]:
    return [(r["message_id"], r["user_id"], r["value"]) for r in rows]


@pytest.mark.parametrize(("emoji", "value"), [("👍", 1), ("👎", -1), ("👍🏽", 1), ("👎️", -1)])
async def test_a_thumb_becomes_a_rating(feedback_bot, ask, stored, emoji, value):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.react(answer.id, emoji, user=bot.member)
        [row] = await stored(bot, "feedback_ratings")
    assert (row["guild_id"], row["channel_id"]) == ("500", "600")
    assert votes([row]) == [(answer.id, bot.member.id, value)]


async def test_other_emoji_are_ignored(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.react(answer.id, "🎉")
        await bot.react(answer.id, "❤️")
        assert await stored(bot, "feedback_ratings") == []


async def test_a_users_new_thumb_replaces_the_old_one(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.react(answer.id, "👍", user=bot.member)
        await bot.react(answer.id, "👎", user=bot.member)
        assert votes(await stored(bot, "feedback_ratings")) == [(answer.id, bot.member.id, -1)]


async def test_each_user_rates_each_message_once(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        first, second = await ask(bot), await ask(bot)
        for message_id in (first.id, first.id, second.id):
            await bot.react(message_id, "👍", user=bot.member)
        await bot.react(first.id, "👎", user=bot.admin)
        rows = await stored(bot, "feedback_ratings")
    assert sorted(votes(rows)) == sorted(
        [(first.id, bot.member.id, 1), (second.id, bot.member.id, 1), (first.id, bot.admin.id, -1)]
    )


async def test_removing_the_reaction_removes_the_rating(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.react(answer.id, "👍", user=bot.member)
        await unreact(bot, answer.id, "👍", bot.member)
        assert await stored(bot, "feedback_ratings") == []


async def test_removing_the_other_thumb_keeps_the_rating(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.react(answer.id, "👍", user=bot.member)
        await bot.react(answer.id, "👎", user=bot.member)
        await unreact(bot, answer.id, "👍", bot.member)
        assert votes(await stored(bot, "feedback_ratings")) == [(answer.id, bot.member.id, -1)]


@pytest.mark.parametrize(("button", "value"), [("👍", 1), ("👎", -1)])
async def test_a_thumb_button_press_becomes_a_rating(feedback_bot, ask, stored, button, value):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.press(answer.id, button, user=bot.member)
        rows = await stored(bot, "feedback_ratings")
    assert votes(rows) == [(answer.id, bot.member.id, value)]


async def test_other_button_presses_are_not_ratings(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.press(answer.id, "run", user=bot.member)
        assert await stored(bot, "feedback_ratings") == []
