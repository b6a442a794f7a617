"""The per-user rate limit and the per-guild daily token budget."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

WINDOW = 60.0
SWEEP_AT = 10_000  # users tracked before idle ones are dropped


@attrs.define
class RateLimiter:
    """At most ``per_minute`` messages per user in any 60 s, on a monotonic ``clock``."""

    per_minute: int
    clock: Callable[[], float]
    _seen: dict[str, deque[float]] = attrs.field(factory=dict, init=False)

    def wait(self, user_id: str) -> float:
        """0 and the message is counted, or the seconds until the user may send again."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= WINDOW:
            times.popleft()
        if len(times) >= self.per_minute:
            return WINDOW - (now - times[0])
        times.append(now)
        if len(self._seen) > SWEEP_AT:
            self._sweep(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        self._seen = {u: t for u, t in self._seen.items() if t and now - t[-1] < WINDOW}


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
