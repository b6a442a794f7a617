"""Running the bot on an adapter: connect, start, serve until stopped, stop, disconnect."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from botkit.adapters.base import Adapter, AdapterStartError
from botkit.logs import remember_key_variables

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.config import Config

log = logging.getLogger("botkit.runner")


def build(config: Config) -> Bot:
    """The bot for ``config``: the built-in plugin and every installed plugin, loaded."""
    from botkit.bot import Bot

    return Bot.build(config)


async def serve(bot: Bot, adapter: Adapter, connected: Callable[[], None] = lambda: None) -> int:
    """Run ``bot`` on ``adapter`` until the adapter ends or SIGINT/SIGTERM; the exit status
    (1 after one line on stderr when the adapter cannot connect). ``connected`` is called
    once the adapter has logged in."""
    with _stop_on_signals(adapter):
        try:
            await run_bot(bot, adapter, connected)
        except AdapterStartError as exc:
            print(f"botkit: {exc}", file=sys.stderr)
            return 1
    return 0


async def run_bot(bot: Bot, adapter: Adapter, connected: Callable[[], None] = lambda: None) -> None:
    """Connect, start the bot and its event-loop watchdog, run until the adapter ends; then
    stop the bot and disconnect. The values of every key variable the configuration and the
    plugins' settings name (``api_key_env`` and friends) are masked in logs and ``redact``.

    Raises AdapterStartError when the adapter cannot connect (the bot never starts then).
    """
    remember_key_variables(bot.config, bot.settings.values())
    try:
        await adapter.connect(bot)
    except BaseException:
        await adapter.close()
        raise
    connected()
    watchdog = bot.plugins.watchdog
    sync = None
    try:
        await bot.start(adapter)
        from botkit.cluster import follow_settings

        sync = await follow_settings(bot)  # PostgreSQL: other processes' changes reach this one
        gc.freeze()  # start-up objects live as long as the bot: keep them out of collections
        watchdog.start()
        await adapter.run()
    finally:
        await watchdog.stop()
        await adapter.close()
        if sync is not None:
            await sync.close()
        await bot.stop()


@contextmanager
def _stop_on_signals(adapter: Adapter) -> Iterator[None]:
    """SIGINT and SIGTERM close the adapter cleanly (handlers finish, the bot stops)."""
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[Any]] = set()

    def stop() -> None:
        task = loop.create_task(adapter.close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        # loops without signal support raise NotImplementedError (e.g. Windows), and any loop
        # outside the main thread RuntimeError or ValueError: then Ctrl-C still ends the run
        with suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


class HeldLogs:
    """Holds the log lines below WARNING (plugins loaded, a library logging in) until the
    adapter has connected, so that a start that fails on a token or the network is the one
    line saying why. Use as a context manager; ``release`` writes what was held and stops
    holding; leaving the block without it drops what was held."""

    def __init__(self) -> None:
        self.held: list[logging.LogRecord] = []
        self._handlers: list[logging.Handler] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        if not self.held or self.held[-1] is not record:  # once, however many handlers
            self.held.append(record)
        return False

    def __enter__(self) -> HeldLogs:
        self._handlers = logging.getLogger().handlers[:]
        for handler in self._handlers:
            handler.addFilter(self)
        return self

    def release(self) -> None:
        self._stop()
        for record in self.held:
            for handler in self._handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
        self.held.clear()

    def _stop(self) -> None:
        for handler in self._handlers:
            handler.removeFilter(self)

    def __exit__(self, *exc_info: object) -> None:
        self._stop()
        self.held.clear()
