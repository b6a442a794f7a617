"""Forgetting a user: their examples, passages and uploads go; other data stays."""

from __future__ import annotations

from typing import Any

from botkit_trainer.tables import examples, passages
from conftest import Corrections, both_backends, qa_lines
from sqlalchemy import func, select

pytestmark = both_backends


async def test_delete_user_data(start: Any) -> None:
    async with start() as bot:
        await bot.send(
            "!train The member's note about lockers.",
            user=bot.member,
            attachments=[bot.attachment("mine.jsonl", qa_lines(2))],
        )
        await bot.send("!train Owner's document.")
        [(plugin, count)] = await bot.bot.plugins.call_all(
            "botkit_delete_user_data", bot=bot.bot, user_id=bot.member.id
        )
        async with bot.bot.storage.session() as session:
            left = (await session.execute(select(examples.c.content))).scalars().all()
            passage_count = (
                await session.execute(select(func.count()).select_from(passages))
            ).scalar()
        folder = bot.data_dir / "datasets" / "500" / "default"
        assert list(folder.iterdir()) == []
    assert (plugin, count) == ("trainer", 3)
    assert left == ["Owner's document."]
    assert passage_count == 1


async def test_forgetting_a_user_removes_the_corrections_copied_from_them(start: Any) -> None:
    def correction(user_id: str, answer: str) -> dict[str, Any]:
        question = {"role": "user", "content": f"What did {user_id} say?"}
        return {
            "kind": "sft",
            "user_id": user_id,
            "messages": [question, {"role": "assistant", "content": answer}],
        }

    async def stored(bot: Any) -> str:
        async with bot.bot.storage.session() as session:
            return " ".join((await session.execute(select(examples.c.content))).scalars())

    offered = Corrections([correction("3", "The member's answer."), correction("1", "Mine.")])
    async with start({"feedback": offered}) as bot:
        await bot.send("!train start")  # copies the offered corrections into the dataset
        before = await stored(bot)
        await bot.bot.plugins.call_all(
            "botkit_delete_user_data", bot=bot.bot, user_id=bot.member.id
        )
        after = await stored(bot)
    assert "The member's answer." in before and "Mine." in before
    assert "The member's answer." not in after
    assert "Mine." in after
