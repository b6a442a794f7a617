"""Running the bot on an adapter: connect, start, serve until stopped, stop, disconnect."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from botkit.adapters.base import Adapter, AdapterStartError
from botkit.logs import remember_key_variables

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.runner")


async def serve(bot: Bot, adapter: Adapter) -> int:
    """Run ``bot`` on ``adapter`` until the adapter ends or SIGINT/SIGTERM; the exit status
    (1 after one line on stderr when the adapter cannot connect)."""
    with _stop_on_signals(adapter):
        try:
            await run_bot(bot, adapter)
        except AdapterStartError as exc:
            print(f"botkit: {exc}", file=sys.stderr)
            return 1
    return 0


async def run_bot(bot: Bot, adapter: Adapter) -> None:
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
    watchdog = bot.plugins.watchdog
    try:
        await bot.start(adapter)
        gc.freeze()  # start-up objects live as long as the bot: keep them out of collections
        watchdog.start()
        await adapter.run()
    finally:
        await watchdog.stop()
        await adapter.close()
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
