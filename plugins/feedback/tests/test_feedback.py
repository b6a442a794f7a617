"""!feedback: stored with its context, refused when empty."""

from __future__ import annotations

from datetime import UTC, datetime


async def test_feedback_is_stored_with_its_context(feedback_bot, stored):
    async with feedback_bot() as bot:
        replies = await bot.send("!feedback  Answers about trains are too long. ", user=bot.member)
        assert replies.text == "Thank you for your feedback!"
        [row] = await stored(bot, "feedback_notes")
    assert row == {
        "id": 1,
        "guild_id": "500",
        "channel_id": "600",
        "author_id": bot.member.id,
        "author_name": "member",
        "text": "Answers about trains are too long.",
        "replied_to_id": None,
        "replied_to_text": None,
        "created_at": row["created_at"],
        "replied_to_author_id": None,
    }
    assert row["created_at"].replace(tzinfo=UTC) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


async def test_feedback_as_a_reply_keeps_the_message_replied_to(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send("!feedback Wrong, and too sure of itself.", reply_to=answer.id)
        [row] = await stored(bot, "feedback_notes")
    assert (row["replied_to_id"], row["replied_to_text"]) == (
        answer.id,
        "The capital of Australia is Sydney.",
    )


async def test_feedback_in_a_direct_message_is_stored_in_that_persons_dm_space(
    feedback_bot, stored
):
    async with feedback_bot() as bot:
        replies = await bot.dm("!feedback Nice bot.", user=bot.member)
        assert replies.text == "Thank you for your feedback!"
        [row] = await stored(bot, "feedback_notes")
    assert (row["guild_id"], row["channel_id"]) == (f"dm:{bot.member.id}", f"dm-{bot.member.id}")


async def test_empty_feedback_is_refused(feedback_bot, stored):
    async with feedback_bot() as bot:
        replies = await bot.send("!feedback", user=bot.member)
        assert replies.text == "Write your feedback after the command: `!feedback <text>`."
        assert await stored(bot, "feedback_notes") == []


async def test_a_lone_surrogate_in_feedback_is_stored_replaced(feedback_bot, stored):
    async with feedback_bot() as bot:
        replies = await bot.send("!feedback nice \udfff bot", user=bot.member)
        assert replies.text == "Thank you for your feedback!"
        [row] = await stored(bot, "feedback_notes")
    assert row["text"] == "nice \ufffd bot"
