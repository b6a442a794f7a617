"""!correct: both forms, what is stored, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime

from botkit import Channel, Reply

QUESTION = "What is the capital of Australia?"
ANSWER = "The capital of Australia is Sydney."

OTHER_CHANNEL = Channel(id="601", name="random", guild_id="500")


async def test_correct_by_message_id_stores_the_whole_context(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        replies = await bot.send(f"!correct {answer.id} It is Canberra.", user=bot.member)
        assert replies.text == f"Thanks! Correction #1 of message {answer.id} saved."
        [row] = await stored(bot, "feedback_corrections")
    question_id = bot.adapter.messages[answer.id].reply_to
    assert row == {
        "id": 1,
        "guild_id": "500",
        "channel_id": "600",
        "author_id": bot.member.id,
        "author_name": "member",
        "bot_message_id": answer.id,
        "bot_text": ANSWER,
        "user_message_id": question_id,
        "user_text": QUESTION,
        "correction": "It is Canberra.",
        "created_at": row["created_at"],
        "asker_id": bot.member.id,
        "review": None,
        "reviewed_by": None,
    }
    assert row["created_at"].replace(tzinfo=UTC) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


async def test_correct_as_a_reply_to_the_bots_message(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        replies = await bot.send("!correct Canberra.", user=bot.admin, reply_to=answer.id)
        assert replies.text == f"Thanks! Correction #1 of message {answer.id} saved."
        [row] = await stored(bot, "feedback_corrections")
    assert (row["author_id"], row["bot_message_id"], row["correction"]) == (
        bot.admin.id,
        answer.id,
        "Canberra.",
    )
    assert (row["user_text"], row["bot_text"]) == (QUESTION, ANSWER)


async def test_a_reply_correction_starting_with_a_number_keeps_the_whole_text(
    feedback_bot, ask, stored
):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send("!correct 1913 is when Canberra was founded.", reply_to=answer.id)
        [row] = await stored(bot, "feedback_corrections")
    assert row["correction"] == "1913 is when Canberra was founded."


async def test_the_bots_mention_is_removed_from_the_users_message(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot, f"<@{bot.adapter.bot_user_id}> {QUESTION}")
        await bot.send(f"!correct {answer.id} Canberra.")
        [row] = await stored(bot, "feedback_corrections")
    assert row["user_text"] == QUESTION


async def test_unknown_message_id_is_refused(feedback_bot, stored):
    async with feedback_bot() as bot:
        replies = await bot.send("!correct 99999 Canberra.")
        assert replies.text == (
            "I cannot find message 99999 in this channel. Use the id of one of my replies "
            "here, or reply to it with `!correct <text>`."
        )
        assert await stored(bot, "feedback_corrections") == []


async def test_a_message_in_another_channel_is_not_found(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot, channel=OTHER_CHANNEL)
        replies = await bot.send(f"!correct {answer.id} Canberra.")
        assert replies.text.startswith(f"I cannot find message {answer.id} in this channel.")
        assert await stored(bot, "feedback_corrections") == []


async def test_a_message_the_bot_did_not_write_is_refused(feedback_bot, stored):
    async with feedback_bot() as bot:
        await bot.send("Sydney is the capital.", user=bot.member)
        [user_message_id] = [i for i, m in bot.adapter.messages.items() if m.author == bot.member]
        replies = await bot.send(f"!correct {user_message_id} Canberra.")
        assert replies.text == (
            f"Message {user_message_id} was not written by me: I can only take corrections "
            "of my own replies."
        )
        assert await stored(bot, "feedback_corrections") == []


async def test_a_reply_to_someone_elses_message_is_refused(feedback_bot, stored):
    async with feedback_bot() as bot:
        await bot.send("Sydney is the capital.", user=bot.member)
        [user_message_id] = [i for i, m in bot.adapter.messages.items() if m.author == bot.member]
        replies = await bot.send("!correct Canberra.", reply_to=user_message_id)
        assert replies.text == (
            "You replied to a message I did not write: I can only take corrections of my "
            "own replies."
        )
        assert await stored(bot, "feedback_corrections") == []


async def test_an_empty_correction_by_id_is_refused(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        replies = await bot.send(f"!correct {answer.id}   ")
        assert replies.text == (
            f"The correction is empty: write the right answer after `!correct {answer.id}`."
        )
        assert await stored(bot, "feedback_corrections") == []


async def test_an_empty_correction_as_a_reply_is_refused(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        replies = await bot.send("!correct", reply_to=answer.id)
        assert replies.text == "The correction is empty: write the right answer after `!correct`."
        assert await stored(bot, "feedback_corrections") == []


async def test_no_message_named_is_refused_with_both_forms(feedback_bot, stored):
    async with feedback_bot() as bot:
        replies = await bot.send("!correct Canberra, not Sydney.")
        assert replies.text == (
            "Which reply do you correct? Reply to my message with `!correct <text>`, or give "
            "its id (a number): `!correct <message_id> <text>`."
        )
        assert await stored(bot, "feedback_corrections") == []


async def test_a_bot_message_that_answered_nothing_is_stored_without_context(feedback_bot, stored):
    async with feedback_bot() as bot:
        sent = await bot.bot.outbox.send(bot.channel, Reply(text="Good morning, everyone."))
        replies = await bot.send(f"!correct {sent[0].id} Good evening, everyone.")
        assert replies.text == (
            f"Thanks! Correction #1 of message {sent[0].id} saved. I do not know which message "
            "I was answering there, so it cannot become a training example."
        )
        [row] = await stored(bot, "feedback_corrections")
    assert (row["user_message_id"], row["user_text"]) == (None, None)
    assert row["correction"] == "Good evening, everyone."


async def test_each_correction_is_kept(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} Canberra.")
        replies = await bot.send(f"!correct {answer.id} Canberra, since 1913.")
        assert replies.text == f"Thanks! Correction #2 of message {answer.id} saved."
        rows = await stored(bot, "feedback_corrections")
    assert [r["correction"] for r in rows] == ["Canberra.", "Canberra, since 1913."]


async def test_a_lone_surrogate_in_a_correction_is_stored_replaced(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        replies = await bot.send(f"!correct {answer.id} Canberra \ud800.", user=bot.member)
        assert replies.text == f"Thanks! Correction #1 of message {answer.id} saved."
        [row] = await stored(bot, "feedback_corrections")
    assert row["correction"] == "Canberra \ufffd."
