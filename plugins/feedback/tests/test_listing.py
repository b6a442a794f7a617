"""!corrections [n]: the latest corrections of this server, for admins."""

from __future__ import annotations

import asyncio

from botkit import Channel

OTHER_GUILD = Channel(id="700", name="elsewhere", guild_id="501")


async def test_the_latest_corrections_newest_first(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} It is Canberra.", user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra, @everyone!", user=bot.admin)
        replies = await bot.send("!corrections", user=bot.admin)
    assert replies.text == "\n".join(
        [
            "Latest 2 correction(s):",
            f"#2 · 2023-11-14 22:13 · admin · message {answer.id}: "
            "“The capital of Australia is Sydney.” → “Canberra, @\u200beveryone!”",
            f"#1 · 2023-11-14 22:13 · member · message {answer.id}: "
            "“The capital of Australia is Sydney.” → “It is Canberra.”",
            "Ratings of my replies here: 0 👍, 0 👎.",
        ]
    )


async def test_long_texts_are_cut_to_one_line(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} Canberra.\nIt was chosen in 1908 " + "x" * 80)
        replies = await bot.send("!corrections 1")
    line = replies.text.splitlines()[1]
    assert line.endswith("→ “Canberra. It was chosen in 1908 " + "x" * 27 + "…”")


async def test_count_limits_the_list(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        for n in range(3):
            await bot.send(f"!correct {answer.id} Canberra {n}.")
        replies = await bot.send("!corrections 2")
    lines = replies.text.splitlines()
    assert lines[0] == "Latest 2 correction(s):"
    assert [line.split(" · ")[0] for line in lines[1:3]] == ["#3", "#2"]


async def test_at_most_fifty_are_shown(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await asyncio.gather(*(bot.send(f"!correct {answer.id} Canberra {n}.") for n in range(51)))
        replies = await bot.send("!corrections 500")
    lines = replies.text.splitlines()
    assert lines[0] == "Latest 50 correction(s) (50 at most at once):"
    assert len(lines) == 52  # header, 50 corrections, ratings


async def test_only_this_servers_corrections_are_listed(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot, channel=OTHER_GUILD)
        await bot.send(f"!correct {answer.id} Canberra.", channel=OTHER_GUILD)
        replies = await bot.send("!corrections")
    assert replies.text == "No corrections here yet. Anyone can add one with `!correct`."


async def test_the_ratings_of_this_server_are_totalled(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} Canberra.")
        await bot.react(answer.id, "👎", user=bot.member)
        await bot.react(answer.id, "👎", user=bot.admin)
        await bot.react(answer.id, "👍", user=bot.owner)
        replies = await bot.send("!corrections")
    assert replies.text.splitlines()[-1] == "Ratings of my replies here: 1 👍, 2 👎."


async def test_a_count_below_one_is_refused(feedback_bot):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections 0")
    assert replies.text == "Say how many corrections to show, 1 to 50: `!corrections 10`."


async def test_a_count_that_is_not_a_number_is_refused(feedback_bot):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections ten")
    assert replies.text == "count must be a whole number, not 'ten'. Usage: `!corrections [count]`"


async def test_members_cannot_list_corrections(feedback_bot):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections", user=bot.member)
    assert replies.text == "Only server admins (Manage Server) can use this command."
