"""Who is an admin of a group: getChatMember, remembered for a while."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botkit.adapter import BoundedMap

log = logging.getLogger("botkit.telegram")

ADMIN_STATUSES = frozenset({"creator", "administrator"})
ENTRIES_KEPT = 10_000

Lookup = Callable[[int, int], Awaitable[str]]


class AdminCache:
    """``await is_admin(chat, user)``; a failed lookup counts as "not an admin", briefly."""

    def __init__(self, lookup: Lookup, ttl: float, clock: Callable[[], float]) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._clock = clock
        self._known: BoundedMap[tuple[int, int], tuple[float, bool]] = BoundedMap(ENTRIES_KEPT)

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        now = self._clock()
        cached = self._known.get(key)
        if cached is not None and now < cached[0]:
            return cached[1]
        try:
            status = await self._lookup(chat_id, user_id)
        except Exception as exc:  # the answer is only a permission hint; never fail a message
            log.warning("cannot look up user %s in chat %s: %s", user_id, chat_id, exc)
            return False
        admin = status in ADMIN_STATUSES
        self._known[key] = (now + self._ttl, admin)
        return admin
