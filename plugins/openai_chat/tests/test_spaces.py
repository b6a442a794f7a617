"""Each person's direct messages are a space of their own: memory, usage and budgets."""

from __future__ import annotations

from conftest import said

from botkit import ReferencedMessage, User
from botkit.testing import BOT_USER

ANN = User(id="41", name="ann")
BOB = User(id="42", name="bob")


async def test_one_persons_dms_do_not_spend_anothers_budget(chat_bot) -> None:
    async with chat_bot(daily_token_budget=5) as bot:
        await bot.dm("use up the budget", user=ANN)
        refused = await bot.dm("more", user=ANN)
        answered = await bot.dm("hello", user=BOB)
    assert refused.text.startswith("Your direct messages used today's 5 tokens.")
    assert answered.text == "echo: hello"


async def test_a_reply_in_a_dm_never_reaches_a_conversation_of_another_space(
    chat_bot, server
) -> None:
    """On Telegram a message id is unique only within its chat: an answer in Bob's DMs may
    name the same id as Ann's question in a server."""
    async with chat_bot() as bot:
        asked = await bot.send("my server secret is 1234", mention=True, user=ANN)
        question = bot.adapter.messages[asked[0].id].reply_to
        bot.adapter.messages["dm-answer"] = ReferencedMessage(
            "dm-answer", BOT_USER, "hello Bob", question
        )
        bot.adapter.channel_of["dm-answer"] = "dm-42"
        await bot.dm("what was that?", user=BOB, reply_to="dm-answer")
    assert said(server) == ["hello Bob", "what was that?"]
