"""A bounded pool of worker processes for CPU-heavy speech work (recognition, espeak-ng).

Each worker is a process that runs one job at a time (a function of :mod:`botkit_voice.jobs`)
and keeps what it loaded (a Whisper model) for the next job. A job that runs past its
time-out, or whose caller gives up (the request was dropped), kills its worker; a fresh one is
started for the next job. At most ``size`` jobs run at once and at most ``max_waiting`` wait;
more are refused with :class:`Busy` at once instead of piling up.

One pool per process and size: the cores belong to the process, however many bots run in it,
and a loaded model is kept for every later bot (tests load Whisper once per session).
"""

from __future__ import annotations

import asyncio
import atexit
import os
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botkit_voice import jobs

if TYPE_CHECKING:
    import multiprocessing.context


class Busy(Exception):
    """Too many speech jobs are waiting; the caller should try again later."""


class JobFailed(Exception):
    """The job raised in its worker, or the worker died; the message says why."""


def default_size() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _context() -> multiprocessing.context.BaseContext:
    """Fork server where there is one (quick restarts, nothing inherited), else spawn."""
    import multiprocessing  # here: listing or checking the plugin never starts a process

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=jobs.serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    async def call(self, job: Callable[..., Any], args: tuple[Any, ...], time_limit: float) -> Any:
        """Run ``job(*args)`` in the worker; TimeoutError after ``time_limit`` seconds."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = self.conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            async with asyncio.timeout(time_limit):
                await asyncio.to_thread(self.conn.send, (job, args))
                await ready
        finally:
            loop.remove_reader(fd)
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError):
            code = self.process.exitcode
            raise JobFailed(f"the worker process died (exit code {code})") from None
        if status != "ok":
            raise JobFailed(value)
        return value

    def kill(self) -> None:
        """Stop the worker at once (blocking for the moment it takes to die)."""
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def finish(self) -> None:
        """Let an idle worker end by itself (it cleans up after its engines), else kill it."""
        self.conn.close()
        self.process.join(2)
        if self.process.is_alive():
            self.kill()


class Pool:
    """At most ``size`` worker processes, started when first needed.

    Usable from any event loop (tests run one loop per test): the slots are counted by hand
    and waiters are futures of the caller's loop.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._idle: list[Worker] = []
        self._context = _context()
        self.running = 0

    @property
    def waiting(self) -> int:
        return len(self._waiters) + len(self._urgent)

    @property
    def spare(self) -> bool:
        """Whether a job would start at once (a worker is free and nobody waits)."""
        return self._free > 0 and not self.waiting

    async def run(
        self,
        job: Callable[..., Any],
        *args: Any,
        time_limit: float,
        max_waiting: int,
        urgent: bool = False,
    ) -> Any:
        """``job(*args)`` in a worker, stopped after running ``time_limit`` s (TimeoutError).

        Busy at once when every worker is busy and ``max_waiting`` jobs already wait. An
        ``urgent`` job (short speech someone is waiting to hear) goes before the others.
        """
        if self._free == 0 and self.waiting >= max_waiting:
            raise Busy(f"{self.waiting} speech jobs are already waiting")
        await self._acquire(self._urgent if urgent else self._waiters)
        self.running += 1
        worker: Worker | None = None
        try:
            worker = await self._worker()
            result = await worker.call(job, args, time_limit)
        except JobFailed:
            if worker is not None and worker.alive:
                self._idle.append(worker)
            raise
        except BaseException:
            if worker is not None:
                await asyncio.shield(asyncio.to_thread(worker.kill))
            raise
        else:
            self._idle.append(worker)
            return result
        finally:
            self.running -= 1
            self._release()

    async def _acquire(self, line: deque[asyncio.Future[None]]) -> None:
        if self._free > 0 and not self.waiting:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        line.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the slot was handed over just as the caller gave up
            else:
                line.remove(waiter)
            raise

    def _release(self) -> None:
        for line in (self._urgent, self._waiters):
            while line:
                waiter = line.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1

    async def _worker(self) -> Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
            await asyncio.to_thread(worker.kill)
        return await asyncio.to_thread(Worker, self._context)

    def close(self) -> None:
        """Let the idle workers end (blocking)."""
        while self._idle:
            self._idle.pop().finish()


_pools: dict[int, Pool] = {}


def pool(size: int) -> Pool:
    """The process's pool of ``size`` workers (0: one per core), created on first use."""
    size = size or default_size()
    found = _pools.get(size)
    if found is None:
        found = _pools[size] = Pool(size)
    return found


@atexit.register
def _close_all() -> None:
    for found in _pools.values():
        found.close()
