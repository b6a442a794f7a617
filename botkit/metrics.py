"""Prometheus metrics and a health check over HTTP, off unless ``[metrics] listen`` is set.

``GET /metrics`` answers in Prometheus' text format (``prometheus-client``), ``GET /healthz``
200 while the bot is started and its adapter connected, 503 otherwise. The server runs with
aiohttp on the bot's own event loop, from ``Bot.start`` to ``Bot.stop``.

Plugins report what only they know through three functions exported from ``botkit``; each
does nothing while metrics are off:

- ``count_tokens(plugin, prompt=0, completion=0)``: chat tokens used (a counter);
- ``set_queue_depth(plugin, depth, queue="voice")``: how many jobs wait in a queue (a gauge);
- ``set_job_counts(plugin, {"running": 1, "succeeded": 4})``: jobs by state (a gauge each).

``plugin`` is the plugin's handle (``ctx.plugin``, or ``plugin`` in bot-level hooks).

A sharded adapter's ``shard_status()`` (``botkit.cluster.ShardStatus`` per shard served) is
read at each scrape: ``botkit_shard_*`` gauges, and a ``shards:`` line in ``/healthz``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import asyncio

    from botkit.adapters.base import Adapter
    from botkit.cluster import ShardStatus
    from botkit.config import Config
    from botkit.plugins import Plugins

log = logging.getLogger("botkit.metrics")


class Watched(Protocol):
    """What metrics read of the running bot (the composition root provides it)."""

    config: Config
    plugins: Plugins
    ready: asyncio.Event

    @property
    def adapter(self) -> Adapter: ...


LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_replied: ContextVar[list[bool] | None] = ContextVar("botkit_replied", default=None)


_NOTHING = nullcontext()  # one shared do-nothing context manager: the cost of metrics off


class Metrics:
    """What the bot reports while metrics are off: nothing, at no cost."""

    address: tuple[str, int] | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def message(self) -> AbstractContextManager[None]:
        """Around the handling of one incoming message."""
        return _NOTHING

    def replied(self) -> None:
        """The bot sent something (marks the message being handled as answered)."""

    def command(self, name: str) -> AbstractContextManager[None]:
        """Around a command's run."""
        return _NOTHING

    def refused(self, name: str, reason: str) -> None:
        """A command was refused (``permission``, ``rule``, ``cooldown``, ``disabled``)."""

    def answer(self) -> AbstractContextManager[None]:
        """Around the answer pipeline for a plain message."""
        return _NOTHING

    def tokens(self, plugin: str, prompt: int, completion: int) -> None:
        """Chat tokens used."""

    def queue_depth(self, plugin: str, queue: str, depth: int) -> None:
        """Jobs waiting in a plugin's queue."""

    def jobs(self, plugin: str, counts: Mapping[str, int]) -> None:
        """A plugin's jobs by state."""


class PrometheusMetrics(Metrics):
    """Counters, histograms and gauges of one bot, in a registry of its own, served over HTTP."""

    def __init__(self, bot: Watched, listen: str) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.bot = bot
        self.listen = listen
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self._received = Counter(
            "botkit_messages_received", "Messages handed to the bot", registry=registry
        )
        self._answered = Counter(
            "botkit_messages_answered", "Messages the bot sent something back to", registry=registry
        )
        self._commands = Counter(
            "botkit_commands_run", "Commands run, by name", ["command"], registry=registry
        )
        self._refused = Counter(
            "botkit_commands_refused",
            "Commands refused, by name and reason (permission, rule, cooldown, disabled)",
            ["command", "reason"],
            registry=registry,
        )
        self._command_seconds = Histogram(
            "botkit_command_seconds",
            "Seconds a command took, replies included",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._answer_seconds = Histogram(
            "botkit_answer_seconds",
            "Seconds the answer pipeline took for a plain message, delivery included",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._failures = Counter(
            "botkit_plugin_failures",
            "Plugin hooks and commands that failed, by plugin, hook and kind "
            "(error, timeout, bad_result, slow)",
            ["plugin", "hook", "kind"],
            registry=registry,
        )
        self._tokens = Counter(
            "botkit_chat_tokens", "Chat tokens used", ["plugin", "kind"], registry=registry
        )
        self._queue = Gauge(
            "botkit_queue_depth",
            "Jobs waiting in a plugin's queue",
            ["plugin", "queue"],
            registry=registry,
        )
        self._jobs = Gauge("botkit_jobs", "Jobs by state", ["plugin", "state"], registry=registry)
        self._ready = Gauge(
            "botkit_ready",
            "1 while the bot is started and its adapter connected",
            registry=registry,
        )
        self._ready.set_function(lambda: 1.0 if self.healthy()[0] else 0.0)
        registry.register(_LoopLag(bot))
        registry.register(_Shards(bot))
        self._per_command: dict[str, tuple[Any, Any]] = {}
        self._runner: Any = None
        self.address = None
        bot.plugins.on_failure(
            lambda plugin, hook, kind: self._failures.labels(plugin, hook, kind).inc()
        )

    # --- the HTTP server ---

    async def start(self) -> None:
        from aiohttp import web

        host, port = parse_listen(self.listen)
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            log.error("metrics cannot listen on %s: %s", self.listen, exc)
            return
        self._runner = runner
        self.address = tuple(runner.addresses[0][:2]) if runner.addresses else (host, port)
        self.bot.plugins.watchdog.start()
        log.info("metrics on http://%s:%d/metrics", *self.address)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await self.bot.plugins.watchdog.stop()
            await runner.cleanup()

    async def _metrics(self, request: Any) -> Any:
        from aiohttp import web
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: Any) -> Any:
        from aiohttp import web

        ok, why = self.healthy()
        shards = adapter_shards(self.bot.adapter)
        if shards is not None:
            why += "\nshards: " + (", ".join(str(s.shard_id) for s in shards) or "none")
        return web.Response(status=200 if ok else 503, text=why + "\n")

    def healthy(self) -> tuple[bool, str]:
        """Whether the bot is ready and connected, and a word saying so."""
        if not self.bot.ready.is_set():
            return False, "not ready"
        if not adapter_connected(self.bot.adapter):
            return False, "disconnected"
        return True, "ok"

    # --- the message flow ---

    @contextmanager
    def message(self) -> Iterator[None]:
        self._received.inc()
        flag = [False]
        token = _replied.set(flag)
        try:
            yield
        finally:
            _replied.reset(token)
            if flag[0]:
                self._answered.inc()

    def replied(self) -> None:
        flag = _replied.get()
        if flag is not None:
            flag[0] = True

    @contextmanager
    def command(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            found = self._per_command.get(name)
            if found is None:  # labels() looks up under a lock: once per command name
                found = (self._commands.labels(name), self._command_seconds.labels(name))
                self._per_command[name] = found
            found[0].inc()
            found[1].observe(time.perf_counter() - started)

    def refused(self, name: str, reason: str) -> None:
        self._refused.labels(name, reason or "other").inc()

    @contextmanager
    def answer(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self._answer_seconds.observe(time.perf_counter() - started)

    # --- what plugins report ---

    def tokens(self, plugin: str, prompt: int, completion: int) -> None:
        if prompt > 0:
            self._tokens.labels(plugin, "prompt").inc(prompt)
        if completion > 0:
            self._tokens.labels(plugin, "completion").inc(completion)

    def queue_depth(self, plugin: str, queue: str, depth: int) -> None:
        self._queue.labels(plugin, queue).set(max(0, depth))

    def jobs(self, plugin: str, counts: Mapping[str, int]) -> None:
        for state, count in counts.items():
            self._jobs.labels(plugin, str(state)[:40]).set(max(0, count))


class _LoopLag:
    """The event loop's lag from the watchdog's heartbeat, read at each scrape."""

    def __init__(self, bot: Watched) -> None:
        self.bot = bot

    def describe(self) -> list[Any]:
        return list(self.collect())

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        figures = self.bot.plugins.watchdog.figures()
        yield GaugeMetricFamily(
            "botkit_event_loop_lag_seconds",
            "How late the event loop woke the last heartbeat",
            value=figures.last,
        )
        yield GaugeMetricFamily(
            "botkit_event_loop_lag_max_seconds", "The largest lag seen", value=figures.max
        )
        yield CounterMetricFamily(
            "botkit_event_loop_stalls",
            "Heartbeats later than the watchdog's threshold",
            value=figures.stalls,
        )


class _Shards:
    """Per shard, read from the adapter at each scrape: gateway latency, servers, lease age."""

    def __init__(self, bot: Watched) -> None:
        self.bot = bot

    def describe(self) -> list[Any]:
        return list(self._families([]))

    def collect(self) -> Iterator[Any]:
        return self._families(adapter_shards(self.bot.adapter) or [])

    def _families(self, shards: list[ShardStatus]) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        latency = GaugeMetricFamily(
            "botkit_shard_latency_seconds",
            "Seconds between a gateway heartbeat and its ack, per shard served",
            labels=["shard"],
        )
        guilds = GaugeMetricFamily(
            "botkit_shard_guilds", "Servers on each shard served", labels=["shard"]
        )
        lease_age = GaugeMetricFamily(
            "botkit_shard_lease_age_seconds",
            "Seconds since this process renewed the shard's lease (leased shards; they expire "
            "at lease_seconds)",
            labels=["shard"],
        )
        held = GaugeMetricFamily(
            "botkit_shard_held_seconds",
            "Seconds since this process claimed the shard (leased shards)",
            labels=["shard"],
        )
        for shard in shards:
            label = [str(shard.shard_id)]
            guilds.add_metric(label, shard.guilds)
            if shard.latency is not None:
                latency.add_metric(label, shard.latency)
            if shard.lease_age is not None:
                lease_age.add_metric(label, shard.lease_age)
            if shard.held_for is not None:
                held.add_metric(label, shard.held_for)
        yield from (latency, guilds, lease_age, held)


def adapter_shards(adapter: Any) -> list[ShardStatus] | None:
    """The shards the adapter serves (its ``shard_status()``); None when it is not sharded."""
    probe = getattr(adapter, "shard_status", None)
    return probe() if callable(probe) else None


def create(bot: Watched) -> Metrics:
    """The bot's metrics: Prometheus ones when ``[metrics] listen`` is set, else none."""
    listen = bot.config.metrics.listen
    return PrometheusMetrics(bot, listen) if listen else Metrics()


def parse_listen(listen: str) -> tuple[str, int]:
    """``"127.0.0.1:9108"`` or ``"[::1]:9108"`` -> (host, port); ValueError when malformed."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"listen must be host:port, e.g. 127.0.0.1:9108, not {listen!r}")
    return host.strip("[]"), int(port)


def adapter_connected(adapter: Any) -> bool:
    """Whether the adapter is connected to its platform: its ``is_connected()`` when it has
    one (the Discord adapter asks its gateway connection); otherwise connected while the bot
    runs."""
    probe = getattr(adapter, "is_connected", None)
    return bool(probe()) if callable(probe) else True
