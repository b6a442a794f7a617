"""The event-loop watchdog: how late the loop runs, and which plugin call held it.

Two measurements. A heartbeat task sleeps ``interval`` seconds again and again; how much later
than asked it wakes up is the loop's lag, kept in :class:`LagFigures` for metrics. And every
plugin call the host makes (hooks and commands) runs through :meth:`Watchdog.watch`, which
times each synchronous step of it: a step longer than ``threshold`` held every other user
waiting, so it is logged with the plugin and hook and counted on the plugin's status. Time a
step spends in another plugin's call (``ctx.plugin.call_all``) is that other plugin's, not the
caller's.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from contextlib import suppress
from typing import Any, TypeVar

import attrs

log = logging.getLogger("botkit.watchdog")

THRESHOLD = 0.25  # seconds one step of a plugin call may hold the loop
INTERVAL = 0.5  # seconds between heartbeats

T = TypeVar("T")


@attrs.define
class LagFigures:
    """The loop's lag as the heartbeat saw it, and how often a plugin held the loop."""

    samples: int = 0
    last: float = 0.0  # seconds
    max: float = 0.0
    total: float = 0.0
    stalls: int = 0  # heartbeats later than the threshold
    held: int = 0  # plugin steps longer than the threshold

    @property
    def mean(self) -> float:
        return self.total / self.samples if self.samples else 0.0


class _Steps(threading.local):
    """Time spent in nested plugin steps, per enclosing step (innermost last)."""

    def __init__(self) -> None:
        self.nested: list[float] = []


_steps = _Steps()


class Watchdog:
    """Measures loop lag and names the plugin call that held the loop."""

    def __init__(
        self,
        *,
        threshold: float = THRESHOLD,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        on_held: Callable[[str, str, float], None] = lambda plugin, hook, seconds: None,
    ) -> None:
        self.threshold = threshold
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.on_held = on_held
        self._figures = LagFigures()
        self._held_since_tick = False
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the heartbeat is running."""
        return self._task is not None and not self._task.done()

    def figures(self) -> LagFigures:
        """A copy of the figures so far (for a metrics module)."""
        return attrs.evolve(self._figures)

    # --- plugin calls ---

    def call(self, plugin: str, hook: str, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)``, timed as one step of ``plugin``'s ``hook``."""
        return self._step(plugin, hook, function, *args)

    def watch(self, plugin: str, hook: str, awaitable: Awaitable[T]) -> Awaitable[T]:
        """``awaitable`` with each of its steps timed as ``plugin``'s ``hook``."""
        return _Watched(self, plugin, hook, awaitable)

    def _step(self, plugin: str, hook: str, step: Callable[..., T], *args: Any) -> T:
        started = self.clock()
        steps = _steps.nested
        steps.append(0.0)
        try:
            return step(*args)
        finally:
            nested = steps.pop()
            elapsed = self.clock() - started
            if steps:
                steps[-1] += elapsed
            if elapsed - nested >= self.threshold:
                self._held(plugin, hook, elapsed - nested)

    def _held(self, plugin: str, hook: str, seconds: float) -> None:
        self._figures.held += 1
        self._held_since_tick = True
        log.warning(
            "plugin %s: %s held the event loop for %.2f s, so nobody else was served; move "
            "blocking work to a thread (asyncio.to_thread) or a process",
            plugin,
            hook,
            seconds,
        )
        self.on_held(plugin, hook, seconds)

    # --- the heartbeat ---

    async def tick(self) -> float:
        """Sleep one interval and record how much later than that the loop woke up."""
        started = self.clock()
        self._held_since_tick = False
        await self.sleep(self.interval)
        lag = max(0.0, self.clock() - started - self.interval)
        figures = self._figures
        figures.samples += 1
        figures.last = lag
        figures.total += lag
        figures.max = max(figures.max, lag)
        if lag >= self.threshold:
            figures.stalls += 1
            if not self._held_since_tick:
                log.warning("the event loop ran %.2f s late (not inside a plugin call)", lag)
        return lag

    def start(self) -> None:
        """Run the heartbeat in the background until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._beat(), name="watchdog")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _beat(self) -> None:
        while True:
            await self.tick()


class _Watched(Awaitable[T]):
    """Drives an awaitable step by step, each step timed by the watchdog."""

    def __init__(self, dog: Watchdog, plugin: str, hook: str, awaitable: Awaitable[T]) -> None:
        self._dog, self._plugin, self._hook = dog, plugin, hook
        self._awaitable = awaitable

    def __await__(self) -> Generator[Any, Any, T]:
        dog, plugin, hook = self._dog, self._plugin, self._hook
        inner = self._awaitable.__await__()
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                if thrown is None:
                    yielded = dog._step(plugin, hook, inner.send, sent)
                else:
                    error, thrown = thrown, None
                    yielded = dog._step(plugin, hook, inner.throw, error)
            except StopIteration as stop:
                return stop.value
            try:
                sent = yield yielded
            except GeneratorExit:
                inner.close()
                raise
            except BaseException as exc:  # a cancellation, passed on to the plugin's code
                thrown, sent = exc, None
