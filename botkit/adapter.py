"""The contract for adapter authors: everything an adapter may import from the host.

An adapter (a distribution with a ``botkit.adapters`` entry point) imports from the host only
the names in ``__all__`` here (tests/test_contract.py enforces it): the protocols it
implements (``Adapter``, ``AdapterSpec``, ``Voice``), what the host hands it (``Host``,
``AdapterSetup``), the models it converts the platform's objects to, and a small shared
runtime:

- ``Handlers``: the event handlers an adapter runs, each in a task of its own, tracked,
  guarded (an exception is logged, never ends the adapter) and drained on stop;
- ``BoundedMap``: a mapping that forgets its least recently used entries beyond a size;
- ``ShardLeases``, ``ShardStatus``, ``IdentifyLimiter``, ``Presence``, ``ClusterError``,
  ``is_postgres``:
  several processes sharing a platform's shards through PostgreSQL (``botkit.cluster``); an
  adapter's ``shard_status()`` (list of ``ShardStatus``, None when unsharded) feeds
  ``/metrics`` and ``/healthz``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine, ItemsView, Iterator, MutableMapping, ValuesView
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from botkit.adapters.base import (
    Adapter,
    AdapterSetup,
    AdapterSpec,
    AdapterStartError,
    Host,
    Voice,
    VoiceConnections,
    VoiceError,
)
from botkit.commands import Command, Parameter, Permission
from botkit.config import not_negative, positive, setting
from botkit.ffmpeg import ffmpeg_executable
from botkit.health import Problem
from botkit.logs import redact, remember_secret
from botkit.models import (
    Attachment,
    Button,
    Channel,
    ChannelKind,
    File,
    Message,
    Press,
    Reaction,
    ReferencedMessage,
    Reply,
    Sent,
    User,
)

if TYPE_CHECKING:
    from botkit.cluster import (
        ClusterError,
        IdentifyLimiter,
        Presence,
        ShardLeases,
        ShardStatus,
        is_postgres,
    )

__all__ = [
    "Adapter",
    "AdapterSetup",
    "AdapterSpec",
    "AdapterStartError",
    "Attachment",
    "BoundedMap",
    "Button",
    "Channel",
    "ChannelKind",
    "ClusterError",
    "Command",
    "File",
    "Handlers",
    "Host",
    "IdentifyLimiter",
    "Message",
    "Parameter",
    "Permission",
    "Presence",
    "Press",
    "Problem",
    "Reaction",
    "ReferencedMessage",
    "Reply",
    "Sent",
    "ShardLeases",
    "ShardStatus",
    "User",
    "Voice",
    "VoiceConnections",
    "VoiceError",
    "ffmpeg_executable",
    "is_postgres",
    "not_negative",
    "positive",
    "redact",
    "remember_secret",
    "setting",
]

_CLUSTER = {
    "ClusterError",
    "IdentifyLimiter",
    "Presence",
    "ShardLeases",
    "ShardStatus",
    "is_postgres",
}


def __getattr__(name: str) -> Any:
    """The cluster's names load on first use: they import SQLAlchemy, which an adapter that
    never shares shards (and ``botkit plugins list``) does not need."""
    if name in _CLUSTER:
        import botkit.cluster

        return getattr(botkit.cluster, name)
    raise AttributeError(f"module 'botkit.adapter' has no attribute {name!r}")


K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(MutableMapping[K, V], Generic[K, V]):
    """A mapping of at most ``max_size`` entries: reading or writing an entry makes it the
    most recent; adding one beyond the size forgets the least recently used."""

    def __init__(self, max_size: int) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, not {max_size}")
        self.max_size = max_size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __getitem__(self, key: K) -> V:
        value = self._entries[key]
        self._entries.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def __delitem__(self, key: K) -> None:
        del self._entries[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[K]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> ItemsView[K, V]:
        """The entries, least recently used first (looking does not make them recent)."""
        return self._entries.items()

    def values(self) -> ValuesView[V]:
        """The values, least recently used first (looking does not make them recent)."""
        return self._entries.values()

    def __repr__(self) -> str:
        return f"<BoundedMap {len(self)}/{self.max_size}>"


class Handlers:
    """The event handlers an adapter is running.

    ``spawn(work, what)`` runs a handler in a new task; ``await run(work, what)`` runs one in
    the current task (when the platform's library already made a task per event). Either way
    the task is tracked in ``tasks`` until it ends, and an exception in it is logged (as a
    one-line warning when ``expected`` describes it, else with its traceback), never raised.
    ``await drain(grace)`` waits for the running handlers and cancels those still running
    after ``grace`` seconds.
    """

    def __init__(
        self, log: logging.Logger, expected: Callable[[Exception], str | None] | None = None
    ) -> None:
        self.log = log
        self.tasks: set[asyncio.Task[Any]] = set()
        self._expected = expected

    def spawn(self, work: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[None]:
        """Run ``work`` in a task of its own, guarded and tracked."""
        task = asyncio.create_task(self._guarded(work, what), name=what)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def run(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        """Run ``work`` in the current task, guarded and tracked."""
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self._guarded(work, what)
        finally:
            self.tasks.discard(task)

    async def _guarded(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        try:
            await work
        except Exception as exc:
            described = self._expected(exc) if self._expected is not None else None
            if described is None:
                self.log.exception("%s failed", what)
            else:
                self.log.warning("%s: %s", what, described)

    async def drain(self, grace: float | None) -> None:
        """Wait until no handler runs (but the caller); after ``grace`` seconds cancel the
        ones still running. ``None``: wait as long as it takes."""
        me = asyncio.current_task()
        loop = asyncio.get_running_loop()
        deadline = None if grace is None else loop.time() + grace
        while running := {t for t in self.tasks if t is not me and not t.done()}:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            _, pending = await asyncio.wait(running, timeout=left)
            if pending:  # only a time-out leaves some
                self.log.warning(
                    "%d handler(s) still running after %g s; cancelled", len(pending), grace
                )
                for task in pending:
                    task.cancel()
                return
