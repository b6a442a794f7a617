"""The web console for the bot's owner and servers' admins, off unless ``[web] listen`` is set.

It runs with aiohttp on the bot's own event loop, from ``Bot.start`` to ``Bot.stop``, and
changes what chat commands change through the same objects (``bot.switches``,
``bot.server_config``, ``bot.gate``), so the web and the chat see each other's changes at once.
See docs/web.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Protocol

from botkit.web.tokens import Grant, Vault
from botkit.web.usage import Usage

if TYPE_CHECKING:
    from botkit.adapters.base import Adapter
    from botkit.commands import CommandTable
    from botkit.config import Config, WebSettings
    from botkit.gate import Gate
    from botkit.handle import PluginHandle
    from botkit.models import Message
    from botkit.plugins import Plugins
    from botkit.server_config import ServerConfig
    from botkit.storage import Storage
    from botkit.switches import Switches
    from botkit.tools import Toolbox
    from botkit.web.pages import WebPage

log = logging.getLogger("botkit.web")


class Parts(Protocol):
    """What the console uses of the running bot: the same objects chat commands use, so a
    change on either side is seen by the other at once."""

    config: Config
    prefix: str
    plugins: Plugins
    commands: CommandTable
    gate: Gate
    switches: Switches
    server_config: ServerConfig
    tools: Toolbox
    settings: dict[str, Any]
    ready: asyncio.Event
    wall_clock: Callable[[], float]
    web_pages: dict[str, list[WebPage]]  # each plugin's console pages, collected at start

    @property
    def storage(self) -> Storage: ...

    def plugin_handle(self, name: str) -> PluginHandle: ...

    @property
    def adapter(self) -> Adapter: ...


FLUSH_SECONDS = 60.0
_NOTHING = nullcontext()


class Console:
    """The console of one bot: its links and sessions, usage counts and HTTP server."""

    def __init__(self, bot: Parts) -> None:
        self.bot = bot
        self.settings = bot.config.web
        self.vault = Vault(lambda: bot.storage, bot.wall_clock)
        self.usage = Usage(lambda: bot.storage, bot.wall_clock)
        self.address: tuple[str, int] | None = None
        self._runner: Any = None
        self._flusher: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.settings.listen)

    @property
    def base_url(self) -> str:
        """Where users reach the console: ``[web] public_url``, else the address served."""
        return base_url(self.settings, self.address)

    async def link(self, grant: Grant) -> str:
        """A one-time sign-in link for ``grant``."""
        token = await self.vault.issue(grant)
        return f"{self.base_url}/login/{token}"

    # --- what the message flow tells it ---

    def handling(self, message: Message) -> AbstractContextManager[None]:
        """Around the handling of one message: counted per server and day when on."""
        return self.usage.handling(message) if self.enabled else _NOTHING

    def tokens(self, count: int) -> None:
        if self.enabled:
            self.usage.tokens(count)

    # --- the HTTP server ---

    async def start(self) -> None:
        if not self.enabled:
            return
        from aiohttp import web

        from botkit.web.app import make_app

        await self.vault.load_secret()
        host, port = _listen(self.settings.listen)
        runner = web.AppRunner(make_app(self), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            log.error("the web console cannot listen on %s: %s", self.settings.listen, exc)
            return
        self._runner = runner
        self.address = tuple(runner.addresses[0][:2]) if runner.addresses else (host, port)
        self._flusher = asyncio.create_task(self._flush_often())
        log.info("web console on %s", self.base_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        if runner is not None:
            await runner.cleanup()
        if self.enabled:
            await self.usage.flush()

    async def _flush_often(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.usage.flush()
            except Exception:
                log.exception("storing the usage counts failed")


def base_url(settings: WebSettings, address: tuple[str, int] | None = None) -> str:
    """``[web] public_url``, else ``http://`` and the address served (or to be served)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host, port = address or _listen(settings.listen)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


async def owner_link(config: Config, wall_clock: Callable[[], float] = time.time) -> str:
    """``botkit web-login``: a one-time link for the bot's (first) owner, written to the
    database the running bot reads. ConfigError when the console is off."""
    from botkit.config import ConfigError
    from botkit.storage import Storage, default_url, host_metadata

    if not config.web.listen:
        raise ConfigError(
            'the web console is off: set [web] listen = "127.0.0.1:8765" in the configuration'
        )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(config.storage.url or default_url(config.data_dir))
    try:
        async with storage.engine.begin() as conn:
            await conn.run_sync(lambda sync: host_metadata.create_all(sync, checkfirst=True))
        owner = next(iter(config.bot.owner_ids), "owner")
        token = await Vault(lambda: storage, wall_clock).issue(Grant(owner, "owner", owner=True))
    finally:
        await storage.close()
    return f"{base_url(config.web)}/login/{token}"


def _listen(listen: str) -> tuple[str, int]:
    from botkit.metrics import parse_listen

    return parse_listen(listen)


def create(bot: Parts) -> Console:
    return Console(bot)
