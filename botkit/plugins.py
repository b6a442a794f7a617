"""Plugin discovery, per-plugin isolation, statuses, and async hook calls."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib.metadata
import inspect
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import pluggy

from botkit import hookspecs, waits
from botkit.commands import Command
from botkit.context import CommandError, Context
from botkit.hookspecs import QUICK, SPECS
from botkit.models import Reply
from botkit.results import check_command
from botkit.text import clean_text
from botkit.watchdog import Watchdog

log = logging.getLogger("botkit.plugins")

ENTRY_POINT_GROUP = "botkit.plugins"
HOOK_THREADS = 8  # plain ``def`` hook implementations run at most this many at once


@attrs.define
class PluginStatus:
    """What ``botkit plugins list`` and ``!plugins`` show about one plugin."""

    name: str
    distribution: str = ""
    version: str = ""
    state: str = "ok"  # ok, disabled, error
    error: str = ""
    hooks: list[str] = attrs.Factory(list)
    commands: list[str] = attrs.Factory(list)
    failures: int = 0
    timeouts: int = 0
    bad_results: int = 0
    slow_calls: int = 0

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def counters(self) -> str:
        """ "2 failures, 1 time-out" or ""."""
        parts = [
            (self.failures, "failure"),
            (self.timeouts, "time-out"),
            (self.bad_results, "bad result"),
            (self.slow_calls, "slow call"),
        ]
        return ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in parts if n)


class PluginError(Exception):
    """A plugin failed to load (raised only in strict mode)."""


class PluginCrash(Exception):
    """A plugin's command raised a ``BaseException`` (``SystemExit``, ...): a failure of that
    plugin like any other exception, not the end of the bot."""


class Plugins:
    """Loads plugins one by one, so one broken plugin never stops the others."""

    def __init__(
        self,
        *,
        strict: bool | None = None,
        timeout: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pm = pluggy.PluginManager("botkit")
        self.pm.add_hookspecs(hookspecs)
        self.statuses: dict[str, PluginStatus] = {}
        self.strict = os.environ.get("BOTKIT_STRICT_PLUGINS") == "1" if strict is None else strict
        self.timeout = timeout
        self.handles: Mapping[str, Any] = {}  # plugin name -> its handle (the bot's)
        self._failure_observers: list[Callable[[str, str, str], None]] = []
        self._order: dict[str, list[tuple[str, pluggy.HookImpl]]] = {}
        self.watchdog = Watchdog(clock=clock, on_held=self._held)
        self._threads: ThreadPoolExecutor | None = None

    def on_failure(self, observer: Callable[[str, str, str], None]) -> None:
        """Call ``observer(plugin, hook, kind)`` on every failure from now on (kind: timeout,
        error, bad_result or slow), e.g. to count it in metrics."""
        self._failure_observers.append(observer)

    def failed(self, plugin: str, hook: str, kind: str) -> None:
        """Count that ``plugin``'s ``hook`` failed in this way (timeout, error, bad_result or
        slow) on its status, and tell the failure observers."""
        status = self.statuses.get(plugin)
        if status is not None:
            counter = _COUNTERS[kind]
            setattr(status, counter, getattr(status, counter) + 1)
        for observer in self._failure_observers:
            observer(plugin, hook, kind)

    # --- loading ---

    def load_entry_points(self, disabled: Iterable[str] = ()) -> None:
        """Register every installed plugin of the ``botkit.plugins`` group that is enabled.

        ``$BOTKIT_PLUGINS`` (comma-separated names) is an allowlist; an empty value loads
        none. Disabled plugins are listed but never imported.
        """
        allow_env = os.environ.get("BOTKIT_PLUGINS")
        allow = None if allow_env is None else {n.strip() for n in allow_env.split(",") if n}
        disabled = set(disabled)
        found = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=_ep_key)
        for name in sorted((allow or set()) - {ep.name for ep in found}):
            log.warning("BOTKIT_PLUGINS names %r, but no such plugin is installed", name)
        for ep in found:
            dist = ep.dist.name if ep.dist else ""
            version = ep.dist.version if ep.dist else ""
            if ep.name in self.statuses:
                log.warning("plugin %s from %s ignored: name already taken", ep.name, dist)
                continue
            if ep.name in disabled or (allow is not None and ep.name not in allow):
                self.statuses[ep.name] = PluginStatus(ep.name, dist, version, state="disabled")
                continue
            self.register(ep.load, ep.name, dist, version)

    def register(
        self, load: Callable[[], object] | object, name: str, dist: str = "", version: str = ""
    ) -> bool:
        """Import (if ``load`` is callable) and register one plugin; isolate its failure.

        Anything an import raises (``SystemExit`` included) fails that plugin alone; only
        Ctrl-C goes through.
        """
        status = PluginStatus(name, dist, version)
        self.statuses[name] = status
        self._order.clear()
        try:
            plugin = load() if callable(load) and not inspect.ismodule(load) else load
            self.pm.register(plugin, name=name)
            unknown = [h.name for h in self.pm.get_hookcallers(plugin) or () if not h.spec]
            if unknown:
                raise pluggy.PluginValidationError(plugin, f"unknown hook(s): {unknown}")
            _check_quick(plugin, self.pm.get_hookcallers(plugin) or ())
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            self.fail(name, exc, "could not be loaded")
            return False
        status.hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or ())
        log.info("plugin %s %s loaded (%s)", name, version, ", ".join(status.hooks) or "no hooks")
        return True

    def fail(self, name: str, exc: BaseException | str, what: str, hook: str = "") -> None:
        """Mark a plugin as broken, unregister it, and re-raise in strict mode.

        The error shown is the exception (after the ``hook`` that raised it, if given), or
        ``what`` and the problem found.
        """
        status = self.statuses[name]
        detail = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, str):
            status.error = f"{what}: {detail}"
        else:
            status.error = f"{hook}: {detail}" if hook else detail
        status.state = "error"
        log.error(
            "plugin %s %s: %s", name, what, detail, exc_info=None if isinstance(exc, str) else exc
        )
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
            self._order.clear()
        if self.strict:
            raise PluginError(f"plugin {name} {what}: {detail}") from (
                None if isinstance(exc, str) else exc
            )

    def collect(self, hook: str) -> dict[str, Any]:
        """Call a registration hook on each plugin alone; a plugin that raises or returns
        the wrong thing is dropped, named."""
        results: dict[str, Any] = {}
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            try:
                value = self.watchdog.call(impl.plugin_name, hook, impl.function)
                if inspect.isawaitable(value):
                    if inspect.iscoroutine(value):
                        value.close()
                    raise TypeError(f"{hook} must be a plain def, not async")
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                self.fail(impl.plugin_name, exc, f"failed in {hook}", hook)
                continue
            if value is None:
                continue
            problem = SPECS[hook].check(value)
            if problem:
                self.fail(impl.plugin_name, problem, f"returned a bad result from {hook}")
                continue
            if hook == "botkit_commands":
                value = [self._guarded(impl.plugin_name, cmd) for cmd in value]
            results[impl.plugin_name] = value
        return results

    def _guarded(self, plugin: str, cmd: Command) -> Command:
        """``cmd`` with its callback watched (loop held, result type, ``SystemExit``)."""
        callback, hook = cmd.callback, f"command {cmd.name}"

        async def guarded(ctx: Context, **values: Any) -> Any:
            try:
                result = await self.watchdog.watch(plugin, hook, callback(ctx, **values))
            except (Exception, KeyboardInterrupt, asyncio.CancelledError):
                raise  # the bot answers these (a failure, a refusal, a cancellation)
            except BaseException as exc:
                raise PluginCrash(f"{type(exc).__name__}: {exc}") from exc
            problem = check_command(result)
            if problem:
                self._bad_result(plugin, hook, problem)
                raise CommandError(
                    f"{ctx.plugin.prefix}{cmd.name} failed; the details are in the bot's log."
                )
            return result

        guarded.__wrapped__ = callback  # type: ignore[attr-defined]
        return attrs.evolve(cmd, callback=guarded)

    # --- runtime calls ---

    async def call_all(
        self,
        hook: str,
        *,
        skip: Collection[str] = (),
        hook_timeout: float | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Await every implementation in pluggy's order; failures are logged and counted.

        ``CommandError`` is not a failure: it propagates, and the host answers with its text.
        ``hook_timeout`` (seconds per implementation) replaces ``[bot] hook_timeout`` here.
        """
        results = []
        for name, impl in self._impls(hook, skip):
            ok, value = await self._call(name, hook, impl, kwargs, hook_timeout)
            if ok and value is not None:
                results.append((name, value))
        return results

    async def call_first(
        self,
        hook: str,
        *,
        skip: Collection[str] = (),
        hook_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Await implementations in order until one returns something other than None."""
        for name, impl in self._impls(hook, skip):
            ok, value = await self._call(name, hook, impl, kwargs, hook_timeout)
            if ok and value is not None:
                return value
        return None

    def ask(self, hook: str, *, skip: Collection[str] = (), **kwargs: Any) -> Any:
        """The first answer to a quick ``hook`` other than None. Each implementation is a
        plain def called here, on the event loop, timed by the watchdog; one that raises or
        answers wrongly is logged and counted, and the next one is asked."""
        for name, impl in self._impls(hook, skip):
            args = [self._argument(name, hook, arg, kwargs) for arg in impl.argnames]
            try:
                value = self.watchdog.call(name, hook, impl.function, *args)
            except KeyboardInterrupt:
                raise
            except BaseException:  # SystemExit too: one plugin never ends the bot
                self.failed(name, hook, "error")
                log.exception("plugin %s: %s failed", name, hook)
                continue
            if value is None:
                continue
            problem = SPECS[hook].check(value)
            if problem:
                self._bad_result(name, hook, problem)
                continue
            return value
        return None

    def implements(self, hook: str) -> list[str]:
        return [name for name, _ in self._impls(hook, ())]

    def _impls(self, hook: str, skip: Collection[str]) -> list[tuple[str, pluggy.HookImpl]]:
        impls = self._order.get(hook)
        if impls is None:  # computed once per hook; (un)registering clears the cache
            impls = self._order[hook] = [
                (impl.plugin_name, impl)
                for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls())
                if not (impl.hookwrapper or impl.wrapper)
            ]
        return [pair for pair in impls if pair[0] not in skip] if skip else impls

    async def _call(
        self,
        name: str,
        hook: str,
        impl: pluggy.HookImpl,
        kwargs: dict[str, Any],
        hook_timeout: float | None = None,
    ) -> tuple[bool, Any]:
        timeout = self.timeout if hook_timeout is None else hook_timeout
        args = [self._argument(name, hook, arg, kwargs) for arg in impl.argnames]
        try:
            async with waits.timeout(timeout):
                if inspect.iscoroutinefunction(impl.function):
                    value = self.watchdog.call(name, hook, impl.function, *args)
                else:  # a plain def may block: it runs in a worker thread, never on the loop
                    value = await self._in_thread(impl.function, args)
                if inspect.isawaitable(value):
                    value = await self.watchdog.watch(name, hook, value)
        except CommandError:
            raise  # a deliberate refusal for the user, not a failure of the plugin
        except KeyboardInterrupt:
            raise
        except TimeoutError:
            self.failed(name, hook, "timeout")
            log.error("plugin %s: %s took longer than %g s, cut off", name, hook, timeout)
            return False, None
        except asyncio.CancelledError:
            if own_cancellation():
                raise
            self.failed(name, hook, "error")
            log.error("plugin %s: %s raised CancelledError of its own; ignored", name, hook)
            return False, None
        except BaseException:  # SystemExit and friends too: one plugin never ends the bot
            self.failed(name, hook, "error")
            log.exception("plugin %s: %s failed", name, hook)
            return False, None
        problem = "" if value is None else SPECS[hook].check(value)
        if problem:
            self._bad_result(name, hook, problem)
            return False, None
        if isinstance(value, Reply) and value.stream is not None:
            value = attrs.evolve(value, stream=self._guarded_stream(name, hook, value.stream))
        return True, _encodable(value)

    async def _in_thread(self, function: Callable[..., Any], args: list[Any]) -> Any:
        """Run a synchronous hook implementation in the hooks' worker threads; the caller's
        time-out stops the wait (the thread itself runs on to its end)."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(HOOK_THREADS, thread_name_prefix="botkit-hook")
        call = functools.partial(contextvars.copy_context().run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    def close(self) -> None:
        """Let the hooks' worker threads end (those still running finish on their own)."""
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None

    async def _guarded_stream(
        self, name: str, hook: str, stream: AsyncIterator[Any]
    ) -> AsyncIterator[str]:
        """A reply stream whose every piece is timed and checked; a stream that breaks or
        yields something other than text is counted on its plugin (the bot then says so)."""
        pieces = aiter(stream)
        while True:
            try:
                piece = await self.watchdog.watch(name, f"{hook} stream", anext(pieces))
            except StopAsyncIteration:
                return
            except (KeyboardInterrupt, CommandError):
                raise
            except asyncio.CancelledError:
                if own_cancellation():
                    raise
                self.failed(name, hook, "error")
                raise PluginCrash(f"the reply stream of {name} raised CancelledError") from None
            except BaseException as exc:
                self.failed(name, hook, "error")
                raise PluginCrash(f"the reply stream of {name} broke: {exc!r}") from exc
            if not isinstance(piece, str):
                self._bad_result(name, f"{hook} stream", f"a piece {piece!r:.60}, not text")
                raise PluginCrash(f"the reply stream of {name} yielded {type(piece).__name__}")
            yield piece

    def _argument(self, name: str, hook: str, arg: str, kwargs: dict[str, Any]) -> Any:
        """The value of one argument of ``name``'s implementation of ``hook``."""
        if arg == "ctx" and kwargs.get("ctx") is not None:
            return kwargs["ctx"].for_plugin(name)  # each plugin sees its own handle
        if arg == "plugin":
            return self.handles[name]
        if arg in kwargs:
            return kwargs[arg]
        if arg == "guild_id":  # called from a context: the context's space
            ctx = kwargs.get("ctx")
            return ctx.space if ctx is not None else None
        raise TypeError(f"{hook} was called without {arg!r}, which plugin {name} needs")

    def _bad_result(self, name: str, hook: str, problem: str) -> None:
        self.failed(name, hook, "bad_result")
        log.error("plugin %s: %s returned %s; ignored", name, hook, problem)

    def _held(self, name: str, hook: str, seconds: float) -> None:
        """The watchdog saw ``name``'s ``hook`` hold the event loop too long."""
        self.failed(name, hook, "slow")


def _check_quick(plugin: object, callers: Iterable[pluggy.HookCaller]) -> None:
    """Refuse an ``async def`` implementation of a quick hook, which the gate calls on the
    event loop for every command and must answer from memory."""
    for caller in callers:
        if SPECS[caller.name].kind is not QUICK:
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and inspect.iscoroutinefunction(impl.function):
                raise pluggy.PluginValidationError(
                    plugin,
                    f"{caller.name} must be a plain def answering from memory (the gate asks "
                    "it for every command), not async",
                )


# what each kind of failure counts on a plugin's status
_COUNTERS = {
    "error": "failures",
    "timeout": "timeouts",
    "bad_result": "bad_results",
    "slow": "slow_calls",
}


def _encodable(value: Any) -> Any:
    """Text results (a string, a list of strings) with anything unencodable replaced."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [clean_text(v) for v in value]
    return value


def own_cancellation() -> bool:
    """True when the running task itself is being cancelled (not a plugin's stray raise)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _ep_key(ep: importlib.metadata.EntryPoint) -> str:
    return ep.name
