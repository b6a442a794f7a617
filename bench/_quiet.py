"""Shared by the dispatch benchmarks (not a benchmark itself: ``nox -s bench`` skips names
starting with ``_``)."""

from __future__ import annotations

import asyncio
import time


async def threads_quiet(idle: float = 0.5, limit: float = 60.0) -> None:
    """Wait until no thread but this one uses CPU: work a bot starts in threads at start-up
    (a plugin importing its SDK) is no per-message cost, and would land in whichever
    contender's round it overlaps."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    others = time.process_time() - time.thread_time()
    while loop.time() < deadline:
        await asyncio.sleep(idle)
        now = time.process_time() - time.thread_time()
        if now - others < 0.01 * idle:
            return
        others = now
