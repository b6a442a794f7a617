"""What the 0.2 contract asks of the chat plugin: ephemeral answers, user data, server
settings from chat, and tables upgraded in place."""

from __future__ import annotations

import re

from conftest import API_KEY, chat_state, said
from sqlalchemy import inspect, text

from botkit import Command, Context, User, command, hookimpl
from botkit_testkit.openai_server import FakeOpenAI

ANN = User(id="41", name="ann")


class Asker:
    """A plugin whose ``!ask`` runs the answer pipeline in a conversation of its own."""

    @hookimpl
    def botkit_commands(self) -> list[Command]:
        return [command(self.ask)]

    async def ask(self, ctx: Context, *, text: str) -> str:
        """Ask the chat plugin once."""
        reply = await ctx.answer(text)
        return reply.text if reply else "no answer"


async def test_an_ephemeral_question_is_answered_and_never_remembered(chat_bot, server) -> None:
    async with chat_bot(plugins={"asker": Asker()}) as bot:
        await bot.send("my name is Ann", mention=True, user=ANN)
        once = await bot.send("!ask what is my name?", user=ANN)
        await bot.send("and now?", mention=True, user=ANN)
    assert once.text == "echo: what is my name?"
    chats = [r for r in server.requests if r.path == "/chat/completions"]
    assert [m["content"] for m in chats[1].json["messages"][1:]] == ["what is my name?"]
    assert said(server) == ["my name is Ann", "echo: my name is Ann", "and now?"]


async def test_what_is_stored_about_a_user_is_counted(chat_bot) -> None:
    async with chat_bot() as bot:
        await bot.send("one", mention=True, user=ANN)
        await bot.dm("two", user=ANN)
        found = await bot.call_all("botkit_user_data", user_id=ANN.id)
    assert dict(found)["openai_chat"] == {"conversation messages": 4, "daily token counts": 2}


async def test_a_server_sets_its_own_temperature(chat_bot, server) -> None:
    async with chat_bot() as bot:
        changed = await bot.send("!config openai_chat temperature 0.2", user=bot.admin)
        await bot.send("here", mention=True, user=ANN)
        here = server.requests[-1].json["temperature"]
        await bot.dm("in a DM", user=ANN)
        elsewhere = server.requests[-1].json["temperature"]
    assert "0.2" in changed.text
    assert (here, elsewhere) == (0.2, 0.7)


async def test_a_server_admin_may_not_change_the_api_server(chat_bot) -> None:
    async with chat_bot() as bot:
        refused = await bot.send("!config openai_chat base_url http://x", user=bot.admin)
        await bot.send("hi", mention=True, user=ANN)
    assert "owner" in refused.text


async def test_the_owner_may_point_one_server_at_another_api(chat_bot, server) -> None:
    async with FakeOpenAI(api_key=API_KEY) as other, chat_bot() as bot:
        other.chat_handler = lambda body: "from the other server"
        await bot.send(f"!config openai_chat base_url {other.base_url}", user=bot.owner)
        here = await bot.send("hi", mention=True, user=ANN)
        in_dm = await bot.dm("hi", user=ANN)
    assert (here.text, in_dm.text) == ("from the other server", "echo: hi")


async def everything_stored(bot, prefix: str) -> list[str]:
    """Every value in every table of the plugin, as text."""
    async with bot.bot.storage.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        found = []
        for name in names:
            if name.startswith(prefix):
                rows = await conn.execute(text(f"select * from {name}"))
                found += [str(value) for row in rows for value in row if value is not None]
    return found


async def test_forgetme_leaves_nothing_of_the_user(chat_bot, server) -> None:
    bob = User(id="42", name="bob")
    async with chat_bot() as bot:
        mine = await bot.send("zebra plans", mention=True, user=ANN)
        await bot.dm("zebra in private", user=ANN)
        theirs = await bot.send("a question", mention=True, user=bob)
        await bot.send("zebra answer to that", user=ANN, reply_to=theirs[0].id)
        await bot.send("what plans?", user=bob, reply_to=mine[0].id)
        await bot.send("!forgetme", user=ANN)
        await bot.send("!forgetme confirm", user=ANN)
        left = await everything_stored(bot, "openai_chat_")
    assert not [v for v in left if "zebra" in v or ANN.id in re.split(r"\D+", v)]
    assert "what plans?" in left


async def test_forgetme_also_forgets_the_user_in_memory(chat_bot) -> None:
    async with chat_bot(rate_per_minute=5) as bot:
        await bot.send("hi", mention=True, user=ANN)
        await bot.send("!forgetme", user=ANN)
        await bot.send("!forgetme confirm", user=ANN)
        remembered = chat_state(bot).rate.tracked()
    assert remembered == 0
