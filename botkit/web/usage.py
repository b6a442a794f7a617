"""Messages and chat tokens per server and day, counted while the web console is on.

Counts gather in memory and are added to the host's ``botkit_guild_settings`` table (plugin
``botkit.usage``, one row per server and UTC day) every minute and when the bot stops; pages
read the stored counts plus those not yet written. Direct messages are not counted: the console
shows servers. Tokens are those plugins report with ``count_tokens`` while they handle a
message of that server.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botkit.models import Message
    from botkit.storage import Storage

ROWS = "botkit.usage"
DAY = 86_400.0
_space: ContextVar[str | None] = ContextVar("botkit_usage_space", default=None)


def day_of(seconds: float) -> str:
    """``2024-05-01``: the UTC day of a wall-clock time."""
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


class Usage:
    """Counts per (server, day): ``[messages, tokens]``."""

    def __init__(self, storage: Callable[[], Storage], wall_clock: Callable[[], float]) -> None:
        self._storage = storage
        self.wall_clock = wall_clock
        self.pending: dict[tuple[str, str], list[int]] = {}

    @contextlib.contextmanager
    def handling(self, message: Message) -> Iterator[None]:
        """Around the handling of ``message``: counts it, and tokens used meanwhile."""
        space = message.guild_id
        if space is None:
            yield
            return
        self._add(space, 0, 1)
        token = _space.set(space)
        try:
            yield
        finally:
            _space.reset(token)

    def tokens(self, count: int) -> None:
        """Tokens a plugin used while handling the current message (none outside one)."""
        space = _space.get()
        if space is not None and count > 0:
            self._add(space, 1, count)

    def _add(self, space: str, which: int, count: int) -> None:
        key = (space, day_of(self.wall_clock()))
        found = self.pending.get(key)
        if found is None:
            found = self.pending[key] = [0, 0]
        found[which] += count

    async def flush(self) -> None:
        """Add the counts gathered so far to the stored ones."""
        pending, self.pending = self.pending, {}
        storage = self._storage()
        for (space, day), (messages, tokens) in pending.items():
            stored = await storage.get_setting(ROWS, space, day, [0, 0])
            await storage.set_setting(ROWS, space, day, [stored[0] + messages, stored[1] + tokens])

    async def days(self, space: str, count: int = 30) -> list[tuple[str, int, int]]:
        """(day, messages, tokens) for the last ``count`` days up to today, oldest first."""
        from sqlalchemy import select

        from botkit.storage import guild_settings

        today = self.wall_clock()
        wanted = [day_of(today - DAY * i) for i in range(count - 1, -1, -1)]
        query = select(guild_settings.c.key, guild_settings.c.value).where(
            guild_settings.c.plugin == ROWS,
            guild_settings.c.guild_id == space,
            guild_settings.c.key >= wanted[0],
        )
        async with self._storage().session() as session:
            stored = {key: json.loads(value) for key, value in (await session.execute(query)).all()}
        rows = []
        for day in wanted:
            messages, tokens = stored.get(day, [0, 0])
            extra = self.pending.get((space, day), [0, 0])
            rows.append((day, messages + extra[0], tokens + extra[1]))
        return rows

    async def spaces(self) -> set[str]:
        """Every server with counted traffic."""
        from sqlalchemy import select

        from botkit.storage import guild_settings

        query = select(guild_settings.c.guild_id).where(guild_settings.c.plugin == ROWS).distinct()
        async with self._storage().session() as session:
            found = set((await session.execute(query)).scalars())
        return found | {space for space, _ in self.pending}
