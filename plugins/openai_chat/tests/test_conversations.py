"""Memory per conversation: channel and user, DM, thread, reply chains; bounds; persistence."""

from __future__ import annotations

import pytest
from botkit_openai_chat import store
from conftest import said, sent_messages
from sqlalchemy import func, select

from botkit import Channel, ChannelKind, User
from botkit.testing import BOT_USER

ANN = User(id="41", name="ann")
BOB = User(id="42", name="bob")


@pytest.fixture
def database_url(storage_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return storage_url


async def test_a_mention_is_answered_by_the_model(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("hello there", mention=True, user=ANN)
    assert replies.text == "echo: hello there"


async def test_the_next_message_remembers_the_conversation(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("my name is Ann", mention=True, user=ANN)
        await bot.send("what is my name?", mention=True, user=ANN)
    assert said(server) == ["my name is Ann", "echo: my name is Ann", "what is my name?"]


async def test_two_users_in_one_channel_do_not_share_memory(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("my secret is 1234", mention=True, user=ANN)
        await bot.send("what is the secret?", mention=True, user=BOB)
    assert said(server) == ["what is the secret?"]


async def test_each_channel_is_its_own_conversation(chat_bot, server) -> None:
    other = Channel(id="601", name="random", guild_id="500")
    async with chat_bot() as bot:
        await bot.send("in general", mention=True, user=ANN)
        await bot.send("in random", mention=True, user=ANN, channel=other)
    assert said(server) == ["in random"]


async def test_a_direct_message_conversation_is_remembered(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.dm("first", user=ANN)
        await bot.dm("second", user=ANN)
    assert said(server) == ["first", "echo: first", "second"]


async def test_a_thread_is_one_conversation_for_everyone_in_it(chat_bot, server) -> None:
    thread = Channel(
        id="700", kind=ChannelKind.THREAD, guild_id="500", parent_id="600", owner_id=BOT_USER.id
    )
    async with chat_bot() as bot:
        await bot.send("the plan is A", user=ANN, channel=thread)
        await bot.send("what is the plan?", user=BOB, channel=thread)
    assert said(server) == ["the plan is A", "echo: the plan is A", "what is the plan?"]


async def test_replying_to_an_answer_continues_its_conversation(chat_bot, server) -> None:
    async with chat_bot() as bot:
        first = await bot.send("remember 7", mention=True, user=ANN)
        await bot.send("unrelated", mention=True, user=BOB)
        await bot.send("which number?", user=ANN, reply_to=first[0].id)
    assert said(server) == ["remember 7", "echo: remember 7", "which number?"]


async def test_replying_to_someone_elses_answer_starts_from_their_conversation(
    chat_bot, server
) -> None:
    async with chat_bot() as bot:
        answer = await bot.send("the code is 42", mention=True, user=ANN)
        await bot.send("what code?", user=BOB, reply_to=answer[0].id)
    assert said(server) == ["the code is 42", "echo: the code is 42", "what code?"]


async def test_a_reply_starts_from_the_answer_replied_to_not_what_came_after(
    chat_bot, server
) -> None:
    async with chat_bot() as bot:
        answer = await bot.send("the code is 42", mention=True, user=ANN)
        await bot.send("no, it is 43", mention=True, user=ANN)
        await bot.send("what code?", user=BOB, reply_to=answer[0].id)
    assert said(server) == ["the code is 42", "echo: the code is 42", "what code?"]


async def test_a_reply_to_someone_elses_answer_stays_out_of_their_memory(chat_bot, server) -> None:
    async with chat_bot() as bot:
        answer = await bot.send("the code is 42", mention=True, user=ANN)
        await bot.send("I am Bob", user=BOB, reply_to=answer[0].id)
        await bot.send("who replied?", mention=True, user=ANN)
    assert said(server) == ["the code is 42", "echo: the code is 42", "who replied?"]


async def test_the_reply_chain_goes_on_from_a_forked_conversation(chat_bot, server) -> None:
    async with chat_bot() as bot:
        answer = await bot.send("the code is 42", mention=True, user=ANN)
        second = await bot.send("I am Bob", user=BOB, reply_to=answer[0].id)
        await bot.send("and then?", user=BOB, reply_to=second[0].id)
    assert said(server) == [
        "the code is 42",
        "echo: the code is 42",
        "I am Bob",
        "echo: I am Bob",
        "and then?",
    ]


async def test_a_reply_to_an_unknown_bot_message_starts_from_its_text(chat_bot, server) -> None:
    async with chat_bot() as bot:
        greeting = await bot.send("!hi")
        await bot.send("why so loud?", user=ANN, reply_to=greeting[0].id)
    assert sent_messages(server)[1:] == [
        {"role": "assistant", "content": "HI!"},
        {"role": "user", "content": "why so loud?"},
    ]


async def test_history_keeps_only_the_newest_messages(chat_bot, server) -> None:
    async with chat_bot(history_messages=2) as bot:
        for word in ("one", "two", "three"):
            await bot.send(word, mention=True, user=ANN)
    assert said(server) == ["two", "echo: two", "three"]


async def test_history_keeps_only_what_fits_the_token_bound(chat_bot, server) -> None:
    async with chat_bot(history_tokens=20) as bot:
        await bot.send("x" * 200, mention=True, user=ANN)
        await bot.send("short", mention=True, user=ANN)
        await bot.send("now?", mention=True, user=ANN)
    assert said(server) == ["short", "echo: short", "now?"]


async def test_stored_history_never_grows_past_the_bound(chat_bot) -> None:
    async with chat_bot(history_messages=4) as bot:
        for n in range(6):
            await bot.send(f"message {n}", mention=True, user=ANN)
        async with bot.bot.storage.engine.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(store.turns))).scalar()
    assert count == 4


async def test_memory_survives_a_restart(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("before the restart", mention=True, user=ANN)
    async with chat_bot() as bot:
        await bot.send("after it", mention=True, user=ANN)
    assert said(server) == ["before the restart", "echo: before the restart", "after it"]


async def test_forgetting_a_user_deletes_their_conversations(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("private", mention=True, user=ANN)
        results = await bot.call_all("botkit_delete_user_data", user_id=ANN.id)
        await bot.send("anything stored?", mention=True, user=ANN)
    assert dict(results)["openai_chat"] == 3  # question, answer, token count
    assert said(server) == ["anything stored?"]


async def test_forgetting_a_user_reaches_copies_of_their_words(chat_bot, server) -> None:
    async with chat_bot() as bot:
        answer = await bot.send("my code is 42", mention=True, user=ANN)
        fork = await bot.send("what code?", user=BOB, reply_to=answer[0].id)
        await bot.call_all("botkit_delete_user_data", user_id=ANN.id)
        await bot.send("and now?", user=BOB, reply_to=fork[0].id)
    assert said(server) == ["what code?", "echo: what code?", "and now?"]


async def test_forgetting_a_user_deletes_the_copies_their_conversation_started_from(
    chat_bot, server
) -> None:
    async with chat_bot() as bot:
        answer = await bot.send("my code is 42", mention=True, user=ANN)
        await bot.send("what code?", user=BOB, reply_to=answer[0].id)
        await bot.call_all("botkit_delete_user_data", user_id=BOB.id)
        async with bot.bot.storage.engine.connect() as conn:
            left = (await conn.execute(select(store.turns.c.conversation))).scalars().all()
    assert left == [f"channel:600:{ANN.id}"] * 2
