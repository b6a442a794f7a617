"""The document store: the context hook returns the passages that match the message."""

from __future__ import annotations

from typing import Any

from botkit_trainer import search
from conftest import Chat, both_backends

from botkit import Channel

pytestmark = both_backends


CORPUS = {
    "library.md": (
        "# Riverside Library\n\n"
        "The Riverside Library opens at ten on Sundays and closes at four. On weekdays it "
        "opens at eight.\n\n"
        "Members may borrow twelve books at once; overdue books cost twenty cents a day."
    ),
    "bakery.txt": (
        "Moonflour Bakery bakes sourdough loaves every morning. The rye bread sells out by "
        "noon, and croissants are only made on Saturdays."
    ),
    "volcano.md": (
        "Mount Kelvar is a dormant volcano. Its last eruption was in 1843, and hikers reach "
        "the crater rim by the northern trail in about five hours."
    ),
    "garden.txt": (
        "Tomatoes in the community garden need watering twice a day in July. Basil grows "
        "best beside them; mint must stay in pots because it spreads."
    ),
}


async def learn_corpus(bot: Any, **kwargs: Any) -> None:
    files = [bot.attachment(name, text.encode()) for name, text in CORPUS.items()]
    replies = await bot.send("!train", attachments=files, **kwargs)
    assert "4 document(s)" in replies.text


async def context(bot: Any, text: str, guild: str | None = "500") -> list[str]:
    found = await search.search(bot.bot.storage, guild, text, 3)
    return [p.snippet() for p in found]


async def test_the_right_passage_comes_first(start: Any) -> None:
    async with start() as bot:
        await learn_corpus(bot)
        assert (await context(bot, "When does the library open on Sunday?"))[0].startswith(
            "[library.md] # Riverside Library\nThe Riverside Library opens at ten on Sundays"
        )
        assert (await context(bot, "how long is the hike to the crater?"))[0].startswith(
            "[volcano.md] Mount Kelvar"
        )
        assert (await context(bot, "Which herb spreads, so it needs pots?"))[0].startswith(
            "[garden.txt]"
        )
        assert (await context(bot, "is there rye bread in the afternoon"))[0].startswith(
            "[bakery.txt]"
        )


async def test_passages_are_split_and_the_matching_one_returned(start: Any) -> None:
    async with start(passage_chars=120) as bot:
        await learn_corpus(bot)
        [first, *_] = await context(bot, "fine for overdue books")
    assert first == (
        "[library.md] Members may borrow twelve books at once; "
        "overdue books cost twenty cents a day."
    )


async def test_no_match_gives_nothing(start: Any) -> None:
    async with start() as bot:
        await learn_corpus(bot)
        assert await context(bot, "quantum chromodynamics") == []
        assert await context(bot, "?! …") == []


async def test_fts_syntax_in_messages_is_harmless(start: Any) -> None:
    async with start() as bot:
        await learn_corpus(bot)
        found = await context(bot, 'volcano" OR NEAR(x) * AND -crater ^')
    assert found[0].startswith("[volcano.md]")


async def test_other_servers_documents_stay_out(start: Any) -> None:
    other = Channel(id="700", name="elsewhere", guild_id="999")
    async with start() as bot:
        await learn_corpus(bot, channel=other)
        assert await context(bot, "library Sunday") == []
        assert await context(bot, "library Sunday", guild="999") != []


async def test_context_hook_feeds_the_chat_plugin(start: Any) -> None:
    chat = Chat({})
    async with start({"chat": chat}, context_passages=1) as bot:
        await learn_corpus(bot)
        await bot.send("when are croissants made?", mention=True)
    [(text, snippets)] = chat.calls
    assert text == "when are croissants made?"
    assert len(snippets) == 1 and snippets[0].startswith("[bakery.txt] Moonflour Bakery")


async def test_inline_documents_have_no_name(start: Any) -> None:
    async with start() as bot:
        await bot.send("!train The staff room code is 4512.")
        assert await context(bot, "staff room code") == ["The staff room code is 4512."]


async def test_context_passages_zero_turns_the_hook_off(start: Any) -> None:
    chat = Chat({})
    async with start({"chat": chat}, context_passages=0) as bot:
        await learn_corpus(bot)
        await bot.send("library hours?", mention=True)
    assert chat.calls == [("library hours?", [])]


async def test_index_survives_a_restart(start: Any) -> None:
    async with start() as bot:
        await learn_corpus(bot)
    async with start() as bot:
        await bot.send("!train Lighthouse keepers light the lamp at dusk.")
        assert (await context(bot, "volcano eruption"))[0].startswith("[volcano.md]")
        assert await context(bot, "lighthouse lamp") == [
            "Lighthouse keepers light the lamp at dusk."
        ]
