"""The training-examples, user-data and delete-user-data hooks, through the host's !mydata
and !forgetme too."""

from __future__ import annotations

from botkit import Channel, hookimpl

QUESTION = "What is the capital of Australia?"
ANSWER = "The capital of Australia is Sydney."
OTHER_GUILD = Channel(id="700", name="elsewhere", guild_id="501")


async def examples(bot, guild_id):
    return await bot.call_all("botkit_training_examples", guild_id=guild_id)


async def test_corrections_are_handed_over_as_sft_and_dpo_records(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} Canberra.")
        result = await examples(bot, "500")
    user = {"role": "user", "content": QUESTION}
    assert result == [
        (
            "feedback",
            [
                {
                    "kind": "sft",
                    "user_id": bot.owner.id,
                    "user_ids": [bot.owner.id, bot.member.id],
                    "messages": [user, {"role": "assistant", "content": "Canberra."}],
                },
                {
                    "kind": "dpo",
                    "user_id": bot.owner.id,
                    "user_ids": [bot.owner.id, bot.member.id],
                    "input": {"messages": [user]},
                    "preferred_output": [{"role": "assistant", "content": "Canberra."}],
                    "non_preferred_output": [{"role": "assistant", "content": ANSWER}],
                },
            ],
        )
    ]


async def test_feedback_and_ratings_are_never_training_examples(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send("!feedback It should say Canberra.", reply_to=answer.id)
        await bot.react(answer.id, "👎")
        assert await examples(bot, "500") == [("feedback", [])]


async def test_only_the_guilds_own_corrections_are_handed_over(feedback_bot, ask):
    async with feedback_bot() as bot:
        here = await ask(bot)
        there = await ask(bot, channel=OTHER_GUILD)
        await bot.send(f"!correct {here.id} Canberra.")
        await bot.send(f"!correct {there.id} Canberra, elsewhere.", channel=OTHER_GUILD)
        [(_, records)] = await examples(bot, "501")
    assert [r["messages"][-1]["content"] for r in records if r["kind"] == "sft"] == [
        "Canberra, elsewhere."
    ]


async def test_direct_message_corrections_belong_to_that_persons_dms(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await bot.dm(QUESTION)
        await bot.dm(f"!correct {answer[0].id} Canberra.")
        [(_, own_dms)] = await examples(bot, f"dm:{bot.owner.id}")
        [(_, other_dms)] = await examples(bot, f"dm:{bot.member.id}")
        [(_, in_guild)] = await examples(bot, "500")
    assert [(r["kind"], r["user_ids"]) for r in own_dms] == [
        ("sft", [bot.owner.id]),
        ("dpo", [bot.owner.id]),
    ]
    assert other_dms == in_guild == []


async def test_delete_user_data_forgets_only_that_user(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} Canberra.", user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra!", user=bot.admin)
        await bot.send("!feedback Wrong again.", user=bot.member)
        await bot.react(answer.id, "👎", user=bot.member)
        result = await bot.call_all("botkit_delete_user_data", user_id=bot.member.id)
        assert result == [("feedback", 3)]
        [left] = await stored(bot, "feedback_corrections")
        assert left["author_id"] == bot.admin.id
        assert await stored(bot, "feedback_notes") == []
        assert await stored(bot, "feedback_ratings") == []


class Memory:
    """Another plugin that remembers users."""

    def __init__(self) -> None:
        self.forgotten: list[str] = []

    @hookimpl
    def botkit_delete_user_data(self, plugin, user_id: str) -> int:
        self.forgotten.append(user_id)
        return 4


async def test_forgetme_deletes_the_authors_data_everywhere(feedback_bot, ask, stored):
    memory = Memory()
    async with feedback_bot(plugins={"memory": memory}) as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} Canberra.", user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra!", user=bot.member)
        await bot.send("!feedback Wrong again.", user=bot.member)
        await bot.react(answer.id, "👎", user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra?", user=bot.admin)
        await bot.send("!forgetme", user=bot.member)
        replies = await bot.send("!forgetme confirm", user=bot.member)
        assert replies.text == (
            "Done: I deleted everything I stored about you.\n- memory: 4 records\n"
            "- feedback: 4 records"
        )
        assert memory.forgotten == [bot.member.id]
        assert [r["author_id"] for r in await stored(bot, "feedback_corrections")] == [bot.admin.id]


async def test_forgetme_with_nothing_stored(feedback_bot):
    async with feedback_bot() as bot:
        await bot.send("!forgetme", user=bot.member)
        replies = await bot.send("!forgetme confirm", user=bot.member)
    assert replies.text == "Done: I stored nothing about you."


async def test_mydata_counts_what_is_stored_about_the_user(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot, user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra.", user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra!", user=bot.admin)
        await bot.send("!feedback Wrong again.", user=bot.member)
        await bot.react(answer.id, "👎", user=bot.member)
        replies = await bot.send("!mydata", user=bot.member)
    assert "- feedback: 1 corrections, 1 feedback notes, 1 ratings, " in replies.text
    assert "2 corrections of answers to you" in replies.text


async def test_delete_user_data_takes_their_question_out_of_others_corrections(
    feedback_bot, ask, stored
):
    async with feedback_bot() as bot:
        answer = await ask(bot, user=bot.member)
        await bot.send(f"!correct {answer.id} Canberra!", user=bot.admin)
        await bot.call_all("botkit_delete_user_data", user_id=bot.member.id)
        [left] = await stored(bot, "feedback_corrections")
    assert (left["author_id"], left["correction"]) == (bot.admin.id, "Canberra!")
    assert (left["user_text"], left["user_message_id"], left["asker_id"]) == (None, None, None)


async def test_delete_user_data_takes_their_message_out_of_others_notes(feedback_bot, stored):
    async with feedback_bot() as bot:
        await bot.send("an aside nobody answers", user=bot.member)
        [aside] = [k for k, m in bot.adapter.messages.items() if m.author == bot.member]
        await bot.send("!feedback this is off-topic", user=bot.admin, reply_to=aside)
        await bot.call_all("botkit_delete_user_data", user_id=bot.member.id)
        [left] = await stored(bot, "feedback_notes")
    assert (left["author_id"], left["text"]) == (bot.admin.id, "this is off-topic")
    assert (left["replied_to_id"], left["replied_to_text"], left["replied_to_author_id"]) == (
        None,
        None,
        None,
    )


async def test_forgetme_leaves_nothing_of_the_user(feedback_bot, ask, stored):
    async with feedback_bot() as bot:
        answer = await ask(bot, "zebra question", user=bot.member)
        await bot.send(f"!correct {answer.id} zebra fix", user=bot.member)
        await bot.send(f"!correct {answer.id} a better answer", user=bot.admin)
        await bot.send("!feedback zebra opinion", user=bot.member, reply_to=answer.id)
        await bot.send("zebra aside", user=bot.member)
        [aside] = [k for k, m in bot.adapter.messages.items() if m.content == "zebra aside"]
        await bot.send("!feedback off-topic", user=bot.admin, reply_to=aside)
        await bot.react(answer.id, "👍", user=bot.member)
        await bot.send("!forgetme", user=bot.member)
        await bot.send("!forgetme confirm", user=bot.member)
        left = [
            str(value)
            for table in ("feedback_corrections", "feedback_notes", "feedback_ratings")
            for row in await stored(bot, table)
            for value in row.values()
            if value is not None
        ]
    assert not [v for v in left if "zebra" in v or v == bot.member.id]
    assert "a better answer" in left
    assert "off-topic" in left
