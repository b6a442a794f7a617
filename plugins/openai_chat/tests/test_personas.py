"""A system prompt per channel or thread, the server's the fallback."""

from __future__ import annotations

from conftest import sent_messages

from botkit import Channel, ChannelKind

OTHER = Channel(id="601", name="random", guild_id="500")
THREAD = Channel(id="700", kind=ChannelKind.THREAD, guild_id="500", parent_id="600")


def system_sent(server) -> str:
    return sent_messages(server)[0]["content"]


async def test_a_channels_prompt_overrides_the_servers_there_only(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("!system server Be a librarian.", user=bot.admin)
        replies = await bot.send("!system Be a pirate.", user=bot.admin)
        await bot.send("hi", mention=True)
        here = system_sent(server)
        await bot.send("hi", mention=True, channel=OTHER)
        elsewhere = system_sent(server)
    assert replies.text == (
        "System prompt set for this channel; the server's applies elsewhere. "
        "`!system reset` removes it."
    )
    assert (here, elsewhere) == ("Be a pirate.", "Be a librarian.")


async def test_reset_falls_back_to_the_servers_prompt(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("!system server Be a librarian.", user=bot.admin)
        await bot.send("!system Be a pirate.", user=bot.admin)
        replies = await bot.send("!system reset", user=bot.admin)
        await bot.send("hi", mention=True)
    assert (
        replies.text == "This channel's system prompt is removed; the server's applies here again."
    )
    assert system_sent(server) == "Be a librarian."


async def test_reset_without_a_channel_prompt_says_so(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!system reset", user=bot.admin)
    assert replies.text == "This channel has no system prompt of its own; the server's applies."


async def test_system_says_where_the_prompt_comes_from(chat_bot) -> None:
    async with chat_bot() as bot:
        await bot.send("!system server Be a librarian.", user=bot.admin)
        await bot.send("!system Be a pirate.", user=bot.admin)
        here = await bot.send("!system", user=bot.member)
        elsewhere = await bot.send("!system", user=bot.member, channel=OTHER)
        in_thread = await bot.send("!system", user=bot.member, channel=THREAD)
    assert here.text == "System prompt (set for this channel):\n> Be a pirate."
    assert elsewhere.text == "System prompt (the server's):\n> Be a librarian."
    assert in_thread.text == "System prompt (set for the channel of this thread):\n> Be a pirate."


async def test_a_threads_prompt_applies_in_the_thread(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send("!system Be a pirate.", user=bot.admin)
        replies = await bot.send("!system Be a poet.", user=bot.admin, channel=THREAD)
        await bot.send("hi", mention=True, channel=THREAD)
        in_thread = system_sent(server)
        await bot.send("hi", mention=True)
    assert replies.text.startswith("System prompt set for this thread;")
    assert (in_thread, system_sent(server)) == ("Be a poet.", "Be a pirate.")


async def test_a_member_cannot_set_a_channels_prompt(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!system be rude", user=bot.member)
        shown = await bot.send("!system", user=bot.member)
    assert replies.text == "Only server admins (Manage Server) can change the system prompt."
    assert "(the bot's default)" in shown.text


async def test_default_clears_the_channels_and_the_servers_prompt(chat_bot, server) -> None:
    async with chat_bot(system_prompt="Be terse.") as bot:
        await bot.send("!system server Be a librarian.", user=bot.admin)
        await bot.send("!system Be a pirate.", user=bot.admin)
        replies = await bot.send("!system default", user=bot.admin)
        await bot.send("hi", mention=True)
    assert replies.text == "This server and this channel use the default system prompt again."
    assert system_sent(server) == "Be terse."


async def test_server_without_instructions_is_refused(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send("!system server", user=bot.admin)
    assert replies.text == "Give the server's instructions: `!system server <instructions>`."


async def test_the_dm_spaces_prompt_is_the_fallback_in_dms(chat_bot, server) -> None:
    async with chat_bot(system_prompt="Be terse.") as bot:
        await bot.send("!system Be a pirate.", user=bot.admin)
        await bot.dm("hi")
        shown = await bot.dm("!system")
    assert system_sent(server) == "Be terse."
    assert shown.text == "System prompt (the bot's default):\n> Be terse."


async def test_an_empty_quoted_prompt_shows_the_prompt_instead_of_failing(chat_bot) -> None:
    async with chat_bot() as bot:
        shown = await bot.send("!system", user=bot.admin)
        replies = await bot.send('!system ""', user=bot.admin)
    assert replies.text == shown.text
