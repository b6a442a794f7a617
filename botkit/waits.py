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

_deadlines: ContextVar[tuple[asyncio.Timeout, ...]] = ContextVar("botkit_deadlines", default=())


class timeout:
    """``async with waits.timeout(seconds):`` as ``asyncio.timeout``, but a wait for a person
    inside (``for_person``) stands it still."""

    __slots__ = ("_timeout", "_token")

    def __init__(self, seconds: float | None) -> None:
        self._timeout = asyncio.timeout(seconds)

    async def __aenter__(self) -> asyncio.Timeout:
        entered = await self._timeout.__aenter__()
        self._token = _deadlines.set((*_deadlines.get(), entered))
        return entered

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        _deadlines.reset(self._token)
        return await self._timeout.__aexit__(*exc_info)


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
