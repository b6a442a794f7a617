"""!corrections export sft|dpo: JSONL files in the fine-tuning formats, checked line by line."""

from __future__ import annotations

import json

from botkit_feedback.dataset import BUILDERS

from botkit import Reply

QUESTION = "What is the capital of Australia?"
ANSWER = "The capital of Australia is Sydney."


def jsonl(replies) -> list[dict]:
    [file] = replies.files
    text = file.read_bytes().decode("utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


async def two_corrections(bot, ask) -> None:
    """Two answered questions, corrected, and one bot message that answered nothing."""
    first = await ask(bot)
    second = await ask(bot, "And of Canada?")
    await bot.send(f"!correct {first.id} Canberra.")
    await bot.send(f"!correct {second.id} Ottawa.", user=bot.member)
    greeting = await bot.bot.outbox.send(bot.channel, Reply(text="Hello!"))
    await bot.send(f"!correct {greeting[0].id} Hello, everyone!")


async def test_sft_export_has_one_example_per_answered_correction(feedback_bot, ask):
    async with feedback_bot() as bot:
        await two_corrections(bot, ask)
        replies = await bot.send("!corrections export sft", user=bot.admin)
    assert replies.text == (
        "2 SFT example(s) from 3 correction(s). 1 correction(s) left out: the message I "
        "answered is unknown."
    )
    assert replies.files[0].filename == "corrections-sft-20231114.jsonl"
    assert jsonl(replies) == [
        {
            "messages": [
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "Canberra."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "And of Canada?"},
                {"role": "assistant", "content": "Ottawa."},
            ]
        },
    ]


async def test_dpo_export_prefers_the_correction_to_the_original(feedback_bot, ask):
    async with feedback_bot() as bot:
        await two_corrections(bot, ask)
        replies = await bot.send("!corrections export DPO", user=bot.admin)
    assert replies.text.startswith("2 DPO example(s) from 3 correction(s).")
    assert replies.files[0].filename == "corrections-dpo-20231114.jsonl"
    lines = jsonl(replies)
    assert lines[0] == {
        "input": {"messages": [{"role": "user", "content": QUESTION}]},
        "preferred_output": [{"role": "assistant", "content": "Canberra."}],
        "non_preferred_output": [{"role": "assistant", "content": ANSWER}],
    }
    assert [line["preferred_output"][0]["content"] for line in lines] == ["Canberra.", "Ottawa."]


async def test_the_system_prompt_setting_opens_every_example(feedback_bot, ask):
    config = {"feedback": {"system_prompt": "You answer geography questions."}}
    async with feedback_bot(config=config) as bot:
        await two_corrections(bot, ask)
        sft = jsonl(await bot.send("!corrections export sft"))
        dpo = jsonl(await bot.send("!corrections export dpo"))
    system = {"role": "system", "content": "You answer geography questions."}
    assert all(line["messages"][0] == system for line in sft)
    assert all(line["input"]["messages"][0] == system for line in dpo)


async def test_a_correction_equal_to_the_original_is_no_preference_pair(feedback_bot, ask):
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} {ANSWER}")
        replies = await bot.send("!corrections export dpo")
    assert replies.text == (
        "No correction here can become a dpo example. 1 correction(s) left out: the message I "
        "answered is unknown, or my reply was empty or the same as the correction."
    )
    assert replies.files == []


async def test_an_empty_export_gets_a_reply_instead_of_a_file(feedback_bot):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections export sft")
    assert replies.text == "There are no corrections here yet, so there is nothing to export."
    assert replies.files == []


async def test_an_unknown_format_is_refused(feedback_bot):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections export csv")
    assert replies.text == (
        "Unknown format 'csv': use `!corrections export sft` (supervised) or "
        "`!corrections export dpo` (preference pairs)."
    )


async def test_a_missing_format_is_refused(feedback_bot):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections export")
    assert replies.text == "format is missing. Usage: `!corrections export <format>`"


async def test_members_cannot_export(feedback_bot):
    async with feedback_bot() as bot:
        replies = await bot.send("!corrections export sft", user=bot.member)
    assert replies.text == "Only server admins (Manage Server) can use this command."
    assert replies.files == []


async def test_an_export_over_the_attachment_limit_is_refused(feedback_bot, ask):
    async with feedback_bot(config={"bot": {"max_attachment_mb": 0.0001}}) as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} Canberra, the capital since 1913. " + "x" * 200)
        replies = await bot.send("!corrections export sft")
    assert replies.text == "The sft export is 0.0 MB, over the 0.0001 MB attachment limit."
    assert replies.files == []


async def test_an_export_failing_validation_is_not_sent(feedback_bot, ask, monkeypatch):
    def robot(correction, system_prompt):
        return {"messages": [{"role": "robot", "content": correction.correction}]}

    monkeypatch.setitem(BUILDERS, "sft", robot)
    async with feedback_bot() as bot:
        answer = await ask(bot)
        await bot.send(f"!correct {answer.id} Canberra.")
        replies = await bot.send("!corrections export sft")
    assert replies.text == (
        "The export failed validation (line 1: messages[0] has role 'robot' (system, user or "
        "assistant)); nothing was sent."
    )
    assert replies.files == []
