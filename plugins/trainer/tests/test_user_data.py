"""Forgetting a user: their examples, passages and uploads go; other data stays."""

from __future__ import annotations

from typing import Any

from botkit_trainer.tables import examples, passages
from conftest import both_backends, qa_lines
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
