"""``!usage`` in a server attaches the server's chat tokens per day over the last 30 days as a
PNG bar chart, drawn like the web console's usage chart (``botkit.web.bar_png``)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from botkit import File
from botkit.web import bar_png
from botkit_openai_chat.store import usage

if TYPE_CHECKING:
    from botkit import Storage

DAYS = 30


async def tokens_per_day(storage: Storage, space: str, now: datetime) -> list[tuple[str, int]]:
    """(day, tokens used by everyone) in ``space`` for the ``DAYS`` days up to ``now``'s,
    oldest first."""
    days = [(now - timedelta(days=n)).date().isoformat() for n in range(DAYS - 1, -1, -1)]
    query = (
        select(usage.c.day, func.sum(usage.c.tokens))
        .where(usage.c.guild_id == space, usage.c.day >= days[0], usage.c.day <= days[-1])
        .group_by(usage.c.day)
    )
    async with storage.engine.connect() as conn:
        found = {day: int(tokens) for day, tokens in (await conn.execute(query)).all()}
    return [(day, found.get(day, 0)) for day in days]


async def usage_chart(storage: Storage, space: str, now: datetime) -> File:
    """The chart as a PNG file (drawn in a worker thread)."""
    points = await tokens_per_day(storage, space, now)
    data = await asyncio.to_thread(bar_png, "Chat tokens per day", "tokens", points)
    return File(f"usage-{points[-1][0]}.png", data=data)
