"""Where updates come from: getUpdates long polling, or a webhook Telegram posts to."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiohttp import web

from botkit_telegram.api import Caller, TelegramError

log = logging.getLogger("botkit.telegram")

# message_reaction is sent only when allowed_updates names it; callback_query: button presses
ALLOWED_UPDATES = ["message", "message_reaction", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BACKOFF = 30.0

Feed = Callable[[Update], None]


class Revoked(Exception):
    """The Bot API stopped accepting the token while the bot ran."""


class Poller:
    """getUpdates in a loop; an update is confirmed (offset) once it has been fed."""

    def __init__(
        self, call: Caller, timeout: int, sleep: Callable[[float], Awaitable[Any]]
    ) -> None:
        self.call = call
        self.timeout = timeout
        self.sleep = sleep
        self.offset: int | None = None

    async def run(self, feed: Feed) -> None:
        backoff = 1.0
        while True:
            method = GetUpdates(
                offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES
            )
            try:
                updates = await self.call(method, request_timeout=self.timeout + 15)
            except TelegramError as exc:
                if exc.kind == "unauthorized":
                    raise Revoked(str(exc)) from None
                log.warning("getUpdates failed (%s); trying again in %g s", exc, backoff)
                await self.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            backoff = 1.0
            for update in updates:
                self.offset = update.update_id + 1
                feed(update)

    async def confirm(self) -> None:
        """Tell the server the updates fed so far are done, so a restart does not replay them."""
        if self.offset is None:
            return
        try:
            await self.call(GetUpdates(offset=self.offset, timeout=0, limit=1), request_timeout=10)
        except TelegramError as exc:
            log.info("could not confirm the last updates: %s", exc)


class WebhookServer:
    """An HTTP server for the updates Telegram posts; each request must carry the secret."""

    def __init__(self, bot: Bot, path: str, secret: str, feed: Feed) -> None:
        self.bot = bot
        self.path = path
        self.secret = secret.encode()
        self.feed = feed
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_post(self.path, self.receive)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook request from %s without the right secret refused", request.remote)
            return web.Response(status=401, text="wrong secret token")
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except Exception as exc:
            log.warning("webhook request that is no update refused: %s", type(exc).__name__)
            return web.Response(status=400, text="not an update")
        self.feed(update)
        return web.Response(status=200)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
