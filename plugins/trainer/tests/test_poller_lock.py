"""Two bot processes (shards) on one PostgreSQL database: one polls, another takes over when
the holder dies, and each outcome is announced once."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from conftest import poll, qa_lines, runtime
from sqlalchemy import text

from botkit_testkit.openai_server import FakeOpenAI

pytestmark = pytest.mark.parametrize("backend_url", ["postgresql"], indirect=True)

HERE = "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
KILL_LOCK_HOLDER = text(
    f"SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND {HERE}"
)
LOCKS_HELD = text(f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND {HERE}")


async def kill_the_holder(bot: Any) -> None:
    """End the lock holder's server process, as if its bot process had died, and wait until
    PostgreSQL has let go of its lock (termination is asynchronous)."""
    async with bot.bot.storage.engine.connect() as conn:
        assert (await conn.execute(KILL_LOCK_HOLDER)).scalar() is True
        for _ in range(200):
            if (await conn.execute(LOCKS_HELD)).scalar() == 0:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the killed holder's lock was never released")


async def start_job(bot: Any) -> str:
    await bot.send("!train", attachments=[bot.attachment("a.jsonl", qa_lines(3))])
    found = re.search(r"`(ftjob-[^`]+)`", (await bot.send("!train start")).text)
    assert found
    return found.group(1)


def announced(*bots: Any) -> list[str]:
    return [
        s.text
        for bot in bots
        for s in bot.adapter.sent
        if s.text.startswith("Fine-tuning job") and " started on " not in s.text
    ]


def status_requests(fake: FakeOpenAI, job_id: str) -> int:
    return sum(r.path == f"/fine_tuning/jobs/{job_id}" for r in fake.requests)


def holding(bot: Any) -> bool:
    return bool(runtime(bot).poller.leader.holding)


async def test_only_one_process_polls(start: Any, fake: FakeOpenAI) -> None:
    async with start() as first, start() as second:
        job_id = await start_job(first)
        await poll(first)
        await poll(second)
        assert sorted([holding(first), holding(second)]) == [False, True]
        before = status_requests(fake, job_id)
        fake.set_job_status(job_id, "succeeded", fine_tuned_model="ft:m1")
        await poll(first)
        await poll(second)
        assert status_requests(fake, job_id) - before == 1
    assert len(announced(first, second)) == 1


async def test_another_process_takes_over_when_the_holder_dies(
    start: Any, fake: FakeOpenAI
) -> None:
    async with start() as first, start() as second:
        job_id = await start_job(first)
        await poll(first)
        await poll(second)
        holder, other = (first, second) if holding(first) else (second, first)
        await kill_the_holder(other)
        fake.set_job_status(job_id, "failed", error="bad file")
        await poll(other)
        await poll(holder)
        assert (holding(other), holding(holder)) == (True, False)
    assert announced(first, second) == [
        f"Fine-tuning job `{job_id}` (dataset default) failed: bad file."
    ]
