"""Many users correcting at once lose nothing."""

from __future__ import annotations

import asyncio

from botkit import User


async def test_fifty_concurrent_corrections_are_all_stored(feedback_bot, ask, stored):
    users = [User(id=str(100 + n), name=f"user{n}") for n in range(50)]
    async with feedback_bot() as bot:
        answers = [await ask(bot) for _ in range(5)]
        await asyncio.gather(
            *(
                bot.send(f"!correct {answers[n % 5].id} Canberra ({n}).", user=user)
                for n, user in enumerate(users)
            )
        )
        rows = await stored(bot, "feedback_corrections")
    assert len(rows) == 50
    assert sorted((r["author_id"], r["correction"]) for r in rows) == sorted(
        (user.id, f"Canberra ({n}).") for n, user in enumerate(users)
    )
    assert sum(s.text.startswith("Thanks! Correction #") for s in bot.adapter.sent) == 50
