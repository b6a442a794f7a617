"""The per-user rate limit and the per-guild daily token budget."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

WINDOW = 60.0
MAX_USERS = 100_000  # users tracked at most; beyond, the longest-quiet ones are forgotten


@attrs.define
class RateLimiter:
    """At most ``per_minute`` messages per user in any 60 s, on a monotonic ``clock`` (the
    limit is given per call: servers may set their own).

    Only users who wrote in the last minute are kept, oldest last message first, so memory
    follows the users active right now, never everyone ever seen.
    """

    clock: Callable[[], float]
    _seen: OrderedDict[str, list[float]] = attrs.field(factory=OrderedDict, init=False)

    def wait(self, user_id: str, per_minute: int) -> float:
        """0 and the message is counted, or the seconds until the user may send again."""
        if per_minute <= 0:
            return 0.0
        now = self.clock()
        self._forget_quiet(now)
        times = [t for t in self._seen.get(user_id, ()) if now - t < WINDOW]
        if len(times) >= per_minute:
            return WINDOW - (now - times[0])
        times.append(now)
        self._seen[user_id] = times
        self._seen.move_to_end(user_id)
        if len(self._seen) > MAX_USERS:
            self._seen.popitem(last=False)
        return 0.0

    def forget(self, user_id: str) -> None:
        """Drop what is remembered of a user (their data is being deleted)."""
        self._seen.pop(user_id, None)

    def tracked(self) -> int:
        """How many users are remembered now."""
        return len(self._seen)

    def _forget_quiet(self, now: float) -> None:
        while self._seen:
            user, times = next(iter(self._seen.items()))
            if now - times[-1] < WINDOW:
                return
            del self._seen[user]


def day_of(now: datetime) -> str:
    """The UTC day a usage counts for."""
    return now.date().isoformat()


def until_midnight(now: datetime) -> timedelta:
    """Time left until the next UTC day, when budgets start afresh."""
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return tomorrow - now


def duration(seconds: float) -> str:
    """``42 s``, ``3 min``, ``2 h 5 min``: rounded up, for telling users when to retry."""
    total = max(1, math.ceil(seconds))
    if total < 60:
        return f"{total} s"
    minutes = math.ceil(total / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
