"""!reset, !model, !system."""

from __future__ import annotations

from conftest import said, sent_messages

from botkit import Channel, ChannelKind, hookimpl
from botkit.testing import BOT_USER

TUNED = "ft:gpt-4o-mini:acme:support:7"


class Trainer:
    """Offers a fine-tuned model the API server does not list."""

    @hookimpl
    def botkit_models(self, plugin: object, guild_id: str | None) -> list[str]:
        return [TUNED]


async def test_reset_forgets_this_conversation(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("remember 7", mention=True)
        replies = await bot.send("!reset")
        await bot.send("which number?", mention=True)
    assert replies.text == "Forgotten (2 messages). Your next message starts a new conversation."
    assert said(server) == ["which number?"]


async def test_reset_leaves_other_users_conversations(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("remember 7", mention=True, user=bot.member)
        await bot.send("!reset", user=bot.admin)
        await bot.send("which number?", mention=True, user=bot.member)
    assert said(server) == ["remember 7", "echo: remember 7", "which number?"]


async def test_reset_with_nothing_to_forget_says_so(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!reset")
    assert replies.text == "There is nothing to forget here: this conversation is already empty."


async def test_reset_as_a_reply_forgets_the_conversation_replied_to(chat_bot, server) -> None:
    async with chat_bot() as bot:
        answer = await bot.send("remember 7", mention=True, user=bot.admin)
        fork = await bot.send("and 8", user=bot.member, reply_to=answer[0].id)
        replies = await bot.send("!reset", user=bot.member, reply_to=fork[0].id)
        await bot.send("which numbers?", mention=True, user=bot.admin)
    assert replies.text == "Forgotten (4 messages). Your next message starts a new conversation."
    assert said(server) == ["remember 7", "echo: remember 7", "which numbers?"]


async def test_model_shows_the_current_model(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!model", user=bot.member)
    assert replies.text.splitlines()[0] == "Model: `gpt-4o-mini`"


async def test_model_lists_models_other_plugins_offer(chat_bot) -> None:
    async with chat_bot(plugins={"trainer": Trainer()}) as bot:
        replies = await bot.send("!model", user=bot.member)
    assert f"Also available here: `{TUNED}`" in replies.text


async def test_an_admin_sets_the_model_for_the_server(chat_bot, server) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!model gpt-4o", user=bot.admin)
        await bot.send("hi", mention=True, user=bot.member)
        shown = await bot.send("!model", user=bot.member)
    assert replies.text == "This server now chats with `gpt-4o`."
    assert server.requests[-1].json["model"] == "gpt-4o"
    assert shown.text.splitlines()[0] == "Model: `gpt-4o` (this server's choice)"


async def test_a_model_offered_by_a_plugin_is_accepted(chat_bot, server) -> None:
    server.models.add(TUNED)  # the API serves it; only the trainer knows its name
    async with chat_bot(plugins={"trainer": Trainer()}) as bot:
        replies = await bot.send(f"!model {TUNED}", user=bot.admin)
        await bot.send("hi", mention=True)
    assert replies.text == f"This server now chats with `{TUNED}`."
    assert server.requests[-1].json["model"] == TUNED


async def test_an_unknown_model_is_refused_with_the_known_ones(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!model gpt-9", user=bot.admin)
        shown = await bot.send("!model", user=bot.admin)
    assert replies.text == "Unknown model `gpt-9`. Models here: `gpt-4o`, `gpt-4o-mini`."
    assert shown.text.splitlines()[0] == "Model: `gpt-4o-mini`"


async def test_a_member_cannot_change_the_model(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!model gpt-4o", user=bot.member)
    assert replies.text == "Only server admins (Manage Server) can choose the model."


async def test_the_model_cannot_be_chosen_in_direct_messages(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.dm("!model gpt-4o")
    assert replies.text == (
        "Admins choose the model per server; in direct messages the defaults apply."
    )


async def test_model_default_goes_back_to_the_configured_model(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("!model gpt-4o", user=bot.admin)
        replies = await bot.send("!model default", user=bot.admin)
        await bot.send("hi", mention=True)
    assert replies.text == "This server uses the default model `gpt-4o-mini` again."
    assert server.requests[-1].json["model"] == "gpt-4o-mini"


async def test_system_shows_the_prompt(chat_bot) -> None:
    async with chat_bot(system_prompt="Be terse.\nBe kind.") as bot:
        replies = await bot.send("!system", user=bot.member)
    assert replies.text == "System prompt (the bot's default):\n> Be terse.\n> Be kind."


async def test_an_admin_changes_the_system_prompt(chat_bot, server) -> None:
    async with chat_bot() as bot:
        replies = await bot.send(
            "!system server You are a pirate. Answer like one.", user=bot.admin
        )
        await bot.send("hi", mention=True)
    assert replies.text.startswith("System prompt changed for this server.")
    assert sent_messages(server)[0] == {
        "role": "system",
        "content": "You are a pirate. Answer like one.",
    }


async def test_a_member_cannot_change_the_system_prompt(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!system be rude", user=bot.member)
    assert replies.text == "Only server admins (Manage Server) can change the system prompt."


async def test_a_too_long_system_prompt_is_refused(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!system " + "x" * 5000, user=bot.admin)
    assert replies.text == "That prompt has 5,000 characters; keep it under 4,000."


async def test_system_default_goes_back_to_the_configured_prompt(chat_bot, server) -> None:
    async with chat_bot(system_prompt="Be terse.") as bot:
        await bot.send("!system Be verbose.", user=bot.admin)
        await bot.send("!system default", user=bot.admin)
        await bot.send("hi", mention=True)
    assert sent_messages(server)[0]["content"] == "Be terse."


THREAD = Channel(
    id="700", kind=ChannelKind.THREAD, guild_id="500", parent_id="600", owner_id=BOT_USER.id
)


async def test_reset_in_a_thread_forgets_only_the_callers_messages(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("the plan is A", user=bot.admin, channel=THREAD)
        await bot.send("my secret is 7", user=bot.member, channel=THREAD)
        replies = await bot.send("!reset", user=bot.member, channel=THREAD)
        await bot.send("what is the plan?", user=bot.admin, channel=THREAD)
    assert replies.text == (
        "Forgotten your 2 messages of this conversation; the others' stay "
        "(admins can forget everyone's: `!reset all`)."
    )
    assert said(server) == ["the plan is A", "echo: the plan is A", "what is the plan?"]


async def test_reset_all_is_refused_to_members(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("the plan is A", user=bot.admin, channel=THREAD)
        replies = await bot.send("!reset all", user=bot.member, channel=THREAD)
        await bot.send("what is the plan?", user=bot.member, channel=THREAD)
    assert replies.text == (
        "Only server admins (Manage Server) can forget everyone's messages here; "
        "`!reset` forgets yours."
    )
    assert said(server)[:2] == ["the plan is A", "echo: the plan is A"]


async def test_reset_all_forgets_everyones_conversations_in_the_channel(chat_bot, server) -> None:
    other = Channel(id="601", name="random", guild_id="500")
    async with chat_bot() as bot:
        await bot.send("remember 7", mention=True, user=bot.member)
        await bot.send("remember 8", mention=True, user=bot.owner)
        await bot.send("elsewhere", mention=True, user=bot.member, channel=other)
        replies = await bot.send("!reset all", user=bot.admin)
        await bot.send("which number?", mention=True, user=bot.member)
        first = list(said(server))
        await bot.send("and there?", mention=True, user=bot.member, channel=other)
    assert replies.text == "Forgotten everyone's conversations in this channel (4 messages)."
    assert first == ["which number?"]
    assert said(server) == ["elsewhere", "echo: elsewhere", "and there?"]


async def test_reset_in_a_dm_forgets_the_conversation(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.dm("remember 7", user=bot.member)
        replies = await bot.dm("!reset", user=bot.member)
        await bot.dm("which number?", user=bot.member)
    assert replies.text == "Forgotten (2 messages). Your next message starts a new conversation."
    assert said(server) == ["which number?"]


async def test_reset_with_another_word_says_what_it_takes(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!reset everything", user=bot.admin)
    assert replies.text == (
        "`!reset` forgets your messages here; `!reset all` (admins) forgets everyone's. "
        "'everything' is neither."
    )
