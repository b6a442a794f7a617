"""Time spent waiting for a person does not count against the host's time-outs.

The host runs each hook, and each reply stream, under a time-out (``[bot] hook_timeout``),
entered through ``timeout`` here. Code inside them that waits for a person (an approval
button, say) wraps the wait in ``for_person()`` (``ctx.waiting_for_person()`` for plugins):
the enclosing time-outs stand still meanwhile and resume with the time they had left, so the
wait is bounded only by its own deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_deadlines: ContextVar[tuple[timeout, ...]] = ContextVar("botkit_deadlines", default=())


class timeout:
    """``async with waits.timeout(seconds):`` as ``asyncio.timeout``, but a wait for a person
    inside (``for_person``) stands it still.

    The timer is armed only once the block has let the event loop run (a ``call_soon`` made on
    entry): a block that finishes without suspending, as most commands and hooks do, never puts
    a timer on the loop's heap. A time-out can only strike at a suspension, and the deadline
    counts from entry, so this changes nothing but the cost.
    """

    __slots__ = ("_arming", "_deadline", "_seconds", "_timeout", "_token")

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds
        self._timeout = asyncio.Timeout(None)
        self._deadline: float | None = None
        self._arming: asyncio.Handle | None = None

    async def __aenter__(self) -> timeout:
        await self._timeout.__aenter__()
        if self._seconds is not None:
            loop = asyncio.get_running_loop()
            self._deadline = loop.time() + self._seconds
            self._arming = loop.call_soon(self._arm)
        self._token = _deadlines.set((*_deadlines.get(), self))
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        _deadlines.reset(self._token)
        if self._arming is not None:
            self._arming.cancel()
            self._arming = None
        return await self._timeout.__aexit__(*exc_info)

    def _arm(self) -> None:
        self._arming = None
        if self._deadline is not None:
            self._timeout.reschedule(self._deadline)

    def when(self) -> float | None:
        """The deadline (the loop's clock), None while it stands still."""
        return self._deadline

    def expired(self) -> bool:
        return self._timeout.expired()

    def reschedule(self, when: float | None) -> None:
        """Move the deadline (None: no deadline)."""
        self._deadline = when
        if self._arming is None:
            self._timeout.reschedule(when)


@contextmanager
def for_person() -> Iterator[None]:
    """Inside, the host's time-outs around this code stand still; after it, each has the time
    it had left before."""
    loop = asyncio.get_running_loop()
    paused = [
        (timeout, when)
        for timeout in _deadlines.get()
        if (when := timeout.when()) is not None and not timeout.expired()
    ]
    for timeout, _ in paused:
        timeout.reschedule(None)
    started = loop.time()
    try:
        yield
    finally:
        spent = loop.time() - started
        for timeout, when in paused:
            timeout.reschedule(when + spent)
