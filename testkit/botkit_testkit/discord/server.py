"""The fake Discord over the network, for bots in other processes.

:class:`FakeDiscord` normally stands in for discord.py's aiohttp session inside the test's
process. :func:`serve_fake` serves the same fake on a local port instead: its REST API under
``http://127.0.0.1:PORT/api/v10`` (what ``[discord] api_base`` points at) and its gateway as
a real websocket at ``ws://127.0.0.1:PORT/gateway``, which ``GET /gateway/bot`` names (the
adapter connects to the URL Discord gives it). Separate ``botkit run`` processes then log in,
identify, receive events and post replies over real sockets; the fake records everything
(``fake.requests``, ``fake.messages``, ``fake.identified``) in the test's process.

    async with serve_fake(fake) as server:
        env = {"DISCORD_TOKEN": fake.token}
        config = f'[discord]\\napi_base = "{server.api_base}"'

A process killed with SIGKILL drops its sockets; the fake marks them closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import aiohttp
from aiohttp import web

from botkit_testkit.discord.fake import API_PREFIX, FakeDiscord, FakeGatewaySocket

__all__ = ["FakeDiscordServer", "serve_fake"]


class FakeDiscordServer:
    """One fake Discord served on ``127.0.0.1`` (REST and gateway)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.fake.gateway_url = self.gateway_url

    async def close(self) -> None:
        for socket in self.fake.open_sockets():
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _rest(self, request: web.Request) -> web.Response:
        kwargs: dict[str, Any] = {}
        if request.content_type.startswith("multipart/"):
            form = aiohttp.FormData()
            reader = await request.multipart()
            async for part in reader:
                assert isinstance(part, aiohttp.BodyPartReader)
                data = await part.read()
                if part.filename is None:
                    form.add_field(part.name or "", data.decode())
                else:
                    form.add_field(
                        part.name or "",
                        bytes(data),
                        filename=part.filename,
                        content_type=part.headers.get("Content-Type", ""),
                    )
            kwargs["data"] = form
        elif request.can_read_body:
            kwargs["data"] = await request.read()
        answer = self.fake.answer(request.method, str(request.url), kwargs)
        body = await answer.read()
        return web.Response(
            status=answer.status, body=body or None, headers=dict(answer.headers) or None
        )

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        if not self.fake.gateway_reachable:
            await ws.close(code=1011)
            return ws
        socket = FakeGatewaySocket(self.fake)
        self.fake.sockets.append(socket)
        pump = asyncio.create_task(_pump(socket, ws))
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    await socket.send_str(message.data)
        finally:
            await socket.close()
            pump.cancel()
            with suppress(asyncio.CancelledError):
                await pump
        return ws


async def _pump(socket: FakeGatewaySocket, ws: web.WebSocketResponse) -> None:
    """What the fake sends on ``socket`` goes out on the real websocket."""
    while True:
        message = await socket.receive()
        if message.type == aiohttp.WSMsgType.TEXT:
            with suppress(ConnectionError):
                await ws.send_str(message.data)
        else:
            code = message.data if message.type == aiohttp.WSMsgType.CLOSE else 1000
            await ws.close(code=code)
            return


@asynccontextmanager
async def serve_fake(fake: FakeDiscord) -> AsyncIterator[FakeDiscordServer]:
    """Serve ``fake`` on a free local port until the block ends."""
    server = FakeDiscordServer(fake)
    await server.start()
    try:
        yield server
    finally:
        await server.close()
