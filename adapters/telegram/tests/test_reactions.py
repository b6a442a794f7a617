"""message_reaction updates reach the reaction hook, for the bot's own messages."""

from __future__ import annotations

import json

from conftest import Ratings


async def test_polling_asks_for_reaction_updates(telegram_harness):
    async with telegram_harness() as tg:
        await tg.send("/hi")
        polls = [c for c in tg.fake.account.calls if c.method == "getUpdates"]
    assert "message_reaction" in json.loads(polls[0].params["allowed_updates"])


async def test_thumbs_up_on_the_bots_message_reaches_the_reaction_hook(telegram_harness):
    ratings = Ratings()
    async with telegram_harness(plugins={"ratings": ratings}) as tg:
        sent = (await tg.send("/hi"))[0].result
        await tg.react(sent["chat"], tg.member, sent["message_id"], ["👍"])
    (reaction,) = ratings.reactions
    assert (reaction.emoji, reaction.added, reaction.user.name) == ("👍", True, "Max")
    assert reaction.message_id == f"{sent['chat']['id']}:{sent['message_id']}"


async def test_changing_a_reaction_removes_the_old_one_and_adds_the_new(telegram_harness):
    ratings = Ratings()
    async with telegram_harness(plugins={"ratings": ratings}) as tg:
        sent = (await tg.send("/hi"))[0].result
        await tg.react(sent["chat"], tg.member, sent["message_id"], ["👎"], old=["👍"])
    assert [(r.emoji, r.added) for r in ratings.reactions] == [("👎", True), ("👍", False)]


async def test_reactions_to_other_peoples_messages_are_ignored(telegram_harness):
    ratings = Ratings()
    async with telegram_harness(plugins={"ratings": ratings}) as tg:
        _, said = await tg.fake.say(tg.group, tg.admin, "look at this")
        await tg.react(tg.group, tg.member, said["message_id"], ["👍"])
    assert ratings.reactions == []
