"""Through the real Discord adapter (discord.py against the fake Discord)."""

from __future__ import annotations

QUESTION = "What is the capital of Australia?"
ANSWER = "The capital of Australia is Sydney."


async def asked(dh) -> int:
    """A member asks the bot; the id of the bot's answer."""
    replies = await dh.message(QUESTION, author=dh.member, mention=True)
    assert replies.text == ANSWER
    return replies[0].id


async def test_a_correction_by_id_keeps_the_question_the_bot_answered(feedback_discord, stored):
    async with feedback_discord() as dh:
        answer_id = await asked(dh)
        question_id = dh.last_message_id
        replies = await dh.message(f"!correct {answer_id} Canberra.", author=dh.member)
        assert replies.text == f"Thanks! Correction #1 of message {answer_id} saved."
        [row] = await stored(dh, "feedback_corrections")
    assert (row["user_message_id"], row["user_text"]) == (str(question_id), QUESTION)


async def test_a_reply_to_the_bots_message_is_stored_as_a_correction(feedback_discord, stored):
    async with feedback_discord() as dh:
        answer_id = await asked(dh)
        question_id = dh.last_message_id
        replies = await dh.message("!correct Canberra.", author=dh.member, reply_to=answer_id)
        assert replies.text == f"Thanks! Correction #1 of message {answer_id} saved."
        assert replies[0].json["message_reference"]["message_id"] == dh.last_message_id
        [row] = await stored(dh, "feedback_corrections")
    assert (row["guild_id"], row["channel_id"], row["author_id"]) == (
        str(dh.guild),
        str(dh.channel),
        str(dh.member.id),
    )
    assert (row["bot_message_id"], row["bot_text"], row["correction"]) == (
        str(answer_id),
        ANSWER,
        "Canberra.",
    )
    assert (row["user_message_id"], row["user_text"]) == (str(question_id), QUESTION)


async def test_a_message_id_from_another_channel_is_not_found(feedback_discord, stored):
    async with feedback_discord() as dh:
        replies = await dh.message(
            QUESTION, author=dh.member, mention=True, channel=dh.other_channel
        )
        answer_id = replies[0].id
        replies = await dh.message(f"!correct {answer_id} Canberra.", author=dh.member)
        assert replies.text.startswith(f"I cannot find message {answer_id} in this channel.")
        assert await stored(dh, "feedback_corrections") == []


async def test_thumbs_on_the_bots_reply_are_ratings_until_removed(feedback_discord, stored):
    async with feedback_discord() as dh:
        answer_id = await asked(dh)
        await dh.react(answer_id, "👎", author=dh.member)
        [row] = await stored(dh, "feedback_ratings")
        assert (row["message_id"], row["user_id"], row["value"]) == (
            str(answer_id),
            str(dh.member.id),
            -1,
        )
        await dh.react(answer_id, "👎", author=dh.member, added=False)
        assert await stored(dh, "feedback_ratings") == []


async def test_answers_and_command_replies_carry_no_buttons_on_discord(feedback_discord):
    """Discord rates with 👍/👎 reactions, so no message gets rating buttons."""
    async with feedback_discord() as dh:
        answer_id = await asked(dh)
        command = await dh.message("!feedback the answers are wrong", author=dh.member)
        shown = [dh.fake.messages[int(i)] for i in (answer_id, command[0].id)]
    assert [m["components"] for m in shown] == [[], []]
