"""The worker pool: jobs in processes, time-outs and dropped requests kill their worker."""

from __future__ import annotations

import asyncio
import os

import pytest
from botkit_voice import pool
from voice_helpers import broken, slow


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def workers() -> pool.Pool:
    return pool.pool(1)


async def test_a_job_runs_in_another_process(workers):
    pid = await workers.run(slow, 0, time_limit=30, max_waiting=0)
    assert pid != os.getpid()


async def test_a_job_past_its_time_out_kills_its_worker(workers):
    pid = await workers.run(slow, 0, time_limit=30, max_waiting=0)
    with pytest.raises(TimeoutError):
        await workers.run(slow, 10, time_limit=0.3, max_waiting=0)
    assert not alive(pid)
    assert await workers.run(slow, 0, time_limit=30, max_waiting=0) != pid  # a fresh worker


async def test_a_dropped_request_kills_its_worker(workers):
    pid = await workers.run(slow, 0, time_limit=30, max_waiting=0)
    job = asyncio.create_task(workers.run(slow, 10, time_limit=30, max_waiting=0))
    await asyncio.sleep(0.3)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert not alive(pid)
    assert workers.running == 0


async def test_a_failing_job_says_why_and_keeps_its_worker(workers):
    pid = await workers.run(slow, 0, time_limit=30, max_waiting=0)
    with pytest.raises(pool.JobFailed, match="ValueError: bad input"):
        await workers.run(broken, time_limit=30, max_waiting=0)
    assert await workers.run(slow, 0, time_limit=30, max_waiting=0) == pid


async def test_more_than_max_waiting_is_refused_at_once(workers):
    running = asyncio.create_task(workers.run(slow, 1, time_limit=30, max_waiting=1))
    await asyncio.sleep(0.1)
    waiting = asyncio.create_task(workers.run(slow, 0, time_limit=30, max_waiting=1))
    await asyncio.sleep(0)
    with pytest.raises(pool.Busy):
        await workers.run(slow, 0, time_limit=30, max_waiting=1)
    await asyncio.gather(running, waiting)  # the two that were let in are served


async def test_a_request_dropped_while_waiting_leaves_the_queue(workers):
    running = asyncio.create_task(workers.run(slow, 0.5, time_limit=30, max_waiting=1))
    await asyncio.sleep(0.1)
    waiting = asyncio.create_task(workers.run(slow, 0, time_limit=30, max_waiting=1))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    assert workers.waiting == 0
    pid = await running
    assert alive(pid)  # the running job was not disturbed


async def test_urgent_jobs_go_before_those_waiting_longer(workers):
    order = []

    async def job(name: str, urgent: bool) -> None:
        await workers.run(slow, 0, time_limit=30, max_waiting=5, urgent=urgent)
        order.append(name)

    running = asyncio.create_task(workers.run(slow, 0.5, time_limit=30, max_waiting=5))
    await asyncio.sleep(0.1)
    first = asyncio.create_task(job("transcription", urgent=False))
    await asyncio.sleep(0)
    second = asyncio.create_task(job("speech", urgent=True))
    await asyncio.gather(running, first, second)
    assert order == ["speech", "transcription"]
