"""A typing indicator shown only when an answer is slow to come."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

TYPING_DELAY = 0.6  # seconds: a quicker answer needs no indicator (and no API call)


@contextlib.asynccontextmanager
async def delayed_typing(
    adapter: Any, channel: Any, delay: float = TYPING_DELAY
) -> AsyncIterator[None]:
    """Run the block; if it lasts longer than ``delay``, show the adapter's typing meanwhile."""
    stop = asyncio.Event()

    async def show() -> None:
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return
        except TimeoutError:
            pass
        async with adapter.typing(channel):
            await stop.wait()

    task = asyncio.create_task(show())
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await task
