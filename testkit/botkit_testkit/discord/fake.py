"""The fake Discord: discord.py's HTTP requests answered and recorded, and the gateway played."""

from __future__ import annotations

import asyncio
import http
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
import attrs
import discord
import yarl
from discord.http import HTTPClient, Route
from multidict import CIMultiDict

from botkit_testkit.discord.payloads import (
    CDN,
    FakeChannel,
    attachment_payload,
    channel_payload,
    message_payload,
    timestamp,
    user_payload,
)
from botkit_testkit.discord.voice_server import VoiceServer
from botkit_testkit.discord.world import World

API_PREFIX = "/api/v10"
MESSAGE_CONTENT_INTENT = 1 << 15
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19


@attrs.frozen
class SentFile:
    """A file uploaded in a multipart request."""

    filename: str
    data: bytes = attrs.field(repr=False)
    content_type: str = ""


@attrs.define
class Request:
    """One HTTP request discord.py made, and what the fake answered."""

    method: str
    path: str
    json: Any = None
    files: list[SentFile] = attrs.Factory(list)
    params: dict[str, str] = attrs.Factory(dict)
    status: int = 0
    response: Any = None
    host: str = "discord.com"  # another one when the bot's REST calls go through a proxy

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def content(self) -> str:
        return (self.json.get("content") or "") if isinstance(self.json, dict) else ""

    @property
    def id(self) -> int | None:
        """The id of the message this request created or edited."""
        if isinstance(self.response, dict) and "id" in self.response:
            return int(self.response["id"])
        return None


_POSTS = (
    re.compile(r"^POST /channels/\d+/messages$"),
    re.compile(r"^POST /webhooks/\d+/[^/]+$"),
)


class Replies(list[Request]):
    """The messages the bot posted while handling something (see ``requests`` for all calls)."""

    def __init__(self, posted: Iterable[Request], requests: list[Request], fake: FakeDiscord):
        super().__init__(posted)
        self.requests = requests
        self._fake = fake

    @classmethod
    def of(cls, requests: list[Request], fake: FakeDiscord) -> Replies:
        """The messages successfully posted among ``requests``."""
        posted = [r for r in requests if r.status < 300 and any(p.match(r.route) for p in _POSTS)]
        return cls(posted, requests, fake)

    @property
    def text(self) -> str:
        """The final text of the posted messages, edits applied, one per line."""
        texts = []
        for request in self:
            stored = self._fake.messages.get(request.id or 0)
            texts.append(stored["content"] if stored else request.content)
        return "\n".join(texts)

    @property
    def files(self) -> list[SentFile]:
        return [f for request in self for f in request.files]

    @property
    def edits(self) -> list[Request]:
        return [r for r in self.requests if r.method == "PATCH" and "/messages/" in r.path]

    @property
    def routes(self) -> list[str]:
        return [r.route for r in self.requests]


# --- HTTP ---


class FakeResponse:
    """Enough of aiohttp.ClientResponse for discord.py."""

    def __init__(self, status: int, payload: Any = None, body: bytes | None = None) -> None:
        self.status = status
        self.reason = http.HTTPStatus(status).phrase
        self.headers: CIMultiDict[str] = CIMultiDict()
        if body is not None:
            self._body = body
            self.headers["content-type"] = "application/octet-stream"
        elif payload is not None:
            self._body = json.dumps(payload).encode()
            self.headers["content-type"] = "application/json"
        else:
            self._body = b""

    async def text(self, encoding: str = "utf-8") -> str:
        return self._body.decode(encoding)

    async def read(self) -> bytes:
        return self._body


class _Exchange:
    def __init__(self, fake: FakeDiscord, method: str, url: str, kwargs: dict[str, Any]) -> None:
        self.fake, self.method, self.url, self.kwargs = fake, method, url, kwargs

    async def __aenter__(self) -> FakeResponse:
        return self.fake.answer(self.method, self.url, self.kwargs)

    async def __aexit__(self, *exc: object) -> None:
        return None


class FakeSession:
    """Stands in for discord.py's aiohttp session: HTTP, CDN downloads and the gateway."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.closed = False

    def request(self, method: str, url: str, **kwargs: Any) -> _Exchange:
        return _Exchange(self.fake, method, str(url), kwargs)

    def get(self, url: str, **kwargs: Any) -> _Exchange:
        return _Exchange(self.fake, "GET", str(url), kwargs)

    async def ws_connect(self, url: str, **kwargs: Any) -> FakeGatewaySocket:
        if not self.fake.gateway_reachable:
            raise aiohttp.ClientConnectionError("fake Discord: the gateway is unreachable")
        server = self.fake.voice_server
        if server is not None and server.serves(url):
            return await server.connect(url, **kwargs)  # type: ignore[return-value]
        socket = FakeGatewaySocket(self.fake)
        self.fake.sockets.append(socket)
        return socket

    async def close(self) -> None:
        self.closed = True


def _body(kwargs: dict[str, Any]) -> tuple[Any, list[SentFile]]:
    data = kwargs.get("data")
    if data is None:
        return None, []
    if isinstance(data, str | bytes):
        return json.loads(data), []
    payload, files = None, []
    for options, headers, value in data._fields:  # aiohttp.FormData as discord.py fills it
        if options["name"] == "payload_json":
            payload = json.loads(value)
        else:
            content = value.read() if hasattr(value, "read") else value
            files.append(
                SentFile(options.get("filename", ""), content, headers.get("Content-Type", ""))
            )
    return payload, files


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"message": message, "code": code}


Handler = Callable[[Request, re.Match[str]], tuple[int, Any]]
VOICE_ROUND_TRIP = 0.05  # seconds before the gateway confirms that the bot left voice


# --- the gateway ---


@attrs.frozen
class Identified:
    """One IDENTIFY the fake accepted: which shard, when (the loop's clock), on which socket."""

    shard_id: int
    shard_count: int
    at: float
    socket: FakeGatewaySocket = attrs.field(repr=False, eq=False)


class FakeGatewaySocket:
    """Enough of aiohttp's websocket for discord.py's gateway loop."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.closed = False
        self.close_code: int | None = None
        self.shard = (0, 1)
        self.identified = False
        self.sequence = 0
        self.idle = asyncio.Event()
        self._inbox: deque[aiohttp.WSMessage] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self.push_op(10, {"heartbeat_interval": 41250})

    def push_op(self, op: int, data: Any) -> None:
        self._put(
            aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, json.dumps({"op": op, "d": data}), None)
        )

    def dispatch(self, event: str, data: Any) -> None:
        self.sequence += 1
        frame = {"op": 0, "t": event, "s": self.sequence, "d": data}
        self._put(aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, json.dumps(frame), None))

    def server_close(self, code: int) -> None:
        """Discord closes the connection with ``code``."""
        self.close_code = code
        self._put(aiohttp.WSMessage(aiohttp.WSMsgType.CLOSE, code, ""))

    def _put(self, message: aiohttp.WSMessage) -> None:
        self._inbox.append(message)
        self.idle.clear()
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def receive(self, timeout: float | None = None) -> aiohttp.WSMessage:  # noqa: ASYNC109
        while not self._inbox:
            if self.closed:
                return aiohttp.WSMessage(aiohttp.WSMsgType.CLOSED, None, None)
            self.idle.set()
            self._wakeup = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._wakeup
            finally:
                self._wakeup = None
        return self._inbox.popleft()

    async def send_str(self, data: str, compress: int | None = None) -> None:
        frame = json.loads(data)
        self.fake.gateway_sent.append(frame)
        self.fake.on_gateway_frame(self, frame)

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        if self.closed:
            return False
        self.closed = True
        self.close_code = self.close_code or code
        self.idle.set()
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
        return True


# --- the fake Discord ---

_ACTIVE: dict[str, FakeDiscord] = {}
_REAL_STATIC_LOGIN = HTTPClient.static_login


async def _static_login(http_client: HTTPClient, token: str) -> Any:
    fake = _ACTIVE.get(token)
    if fake is None:
        return await _REAL_STATIC_LOGIN(http_client, token)
    return await fake.login(http_client, token)


class FakeDiscord(World):
    """Discord's HTTP API and gateway for one bot, with a small world in it."""

    _tokens = itertools.count(1)

    def __init__(
        self,
        *,
        reject_token: bool = False,
        message_content_enabled: bool = True,
        gateway_reachable: bool = True,
        echo_own_messages: bool = True,
        shards: int = 1,
        max_concurrency: int = 1,
        session_starts: int = 1000,
        voice_server: VoiceServer | None = None,
    ) -> None:
        super().__init__()
        self.voice_server = voice_server  # real voice connections go there (else none)
        self.shards = shards  # GET /gateway/bot's recommendation
        self.max_concurrency = max_concurrency
        self.session_starts = session_starts  # session_start_limit.total
        self.gateway_url = "wss://gateway.discord.gg"  # GET /gateway/bot's url (serve_fake's)
        self.identified: list[Identified] = []
        self.double_served: list[int] = []  # shards identified while another socket served them
        self.token = f"fake-discord-token-{next(self._tokens)}"
        self.reject_token = reject_token
        self.message_content_enabled = message_content_enabled
        self.gateway_reachable = gateway_reachable
        self.echo_own_messages = echo_own_messages
        self.requests: list[Request] = []
        self.server_seconds = 0.0  # CPU time spent playing Discord (answering, encoding events)
        self.gateway_sent: list[dict[str, Any]] = []
        self.sockets: list[FakeGatewaySocket] = []
        self.cdn: dict[str, bytes] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._default_routes = self._build_routes()
        self._entered = 0

    # --- activation ---

    def __enter__(self) -> FakeDiscord:
        """Active (may be nested: several processes of the bot share one fake)."""
        if not _ACTIVE:
            HTTPClient.static_login = _static_login  # type: ignore[method-assign]
        _ACTIVE[self.token] = self
        self._entered += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._entered -= 1
        if self._entered > 0:
            return
        _ACTIVE.pop(self.token, None)
        if not _ACTIVE:
            HTTPClient.static_login = _REAL_STATIC_LOGIN  # type: ignore[method-assign]

    async def login(self, http_client: HTTPClient, token: str) -> Any:
        """discord.py's ``static_login``, with this fake in place of the aiohttp session."""
        http_client._HTTPClient__session = FakeSession(self)  # type: ignore[attr-defined]
        http_client._global_over = asyncio.Event()
        http_client._global_over.set()
        old_token, http_client.token = http_client.token, token
        try:
            return await http_client.request(Route("GET", "/users/@me"))
        except discord.HTTPException as exc:
            http_client.token = old_token
            if exc.status == 401:
                raise discord.LoginFailure("Improper token has been passed.") from exc
            raise

    # --- HTTP ---

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Decorator: answer ``METHOD /path`` matching ``pattern`` with ``handler(req, match)``."""

        def add(handler: Handler) -> Handler:
            self._routes.insert(0, (method.upper(), re.compile(f"^{pattern}$"), handler))
            return handler

        return add

    def fail(
        self,
        method: str,
        pattern: str,
        *,
        status: int = 503,
        code: int = 0,
        message: str = "Service Unavailable",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with an error.

        discord.py retries 500, 502 and 504 itself, sleeping between tries; 503 it does not.
        """
        left = [times]

        def failing(request: Request, match: re.Match[str]) -> tuple[int, Any]:
            left[0] -= 1
            if left[0] <= 0:
                self._routes.remove(entry)
            return _error(status, code, message)

        entry = (method.upper(), re.compile(f"^{pattern}$"), failing)
        self._routes.insert(0, entry)

    def answer(self, method: str, url: str, kwargs: dict[str, Any]) -> FakeResponse:
        """Answer one HTTP request (the time it takes counts in ``server_seconds``)."""
        started = time.process_time()
        try:
            return self._answer(method, url, kwargs)
        finally:
            self.server_seconds += time.process_time() - started

    def _answer(self, method: str, url: str, kwargs: dict[str, Any]) -> FakeResponse:
        if url.startswith(CDN):
            data = self.cdn.get(url)
            return FakeResponse(200, body=data) if data is not None else FakeResponse(404, "")
        parsed = yarl.URL(url)
        path = parsed.path.removeprefix(API_PREFIX)
        payload, files = _body(kwargs)
        params = {
            **dict(parsed.query),
            **{k: str(v) for k, v in (kwargs.get("params") or {}).items()},
        }
        request = Request(method, path, payload, files, params, host=parsed.authority)
        self.requests.append(request)
        request.status, request.response = self._dispatch_route(request)
        return FakeResponse(request.status, request.response)

    def _dispatch_route(self, request: Request) -> tuple[int, Any]:
        for method, pattern, handler in [*self._routes, *self._default_routes]:
            if method == request.method:
                match = pattern.match(request.path)
                if match:
                    return handler(request, match)
        return _error(
            404,
            0,
            f"the fake Discord has no route {request.route}; add one with "
            "fake.route(method, pattern)",
        )

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("GET", r"/gateway/bot", self._gateway_bot),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._edit_message),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)", self._delete_message),
            ("POST", r"/channels/(\d+)/typing", lambda r, m: (204, None)),
            (
                "PUT",
                r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me",
                lambda r, m: (204, None),
            ),
            ("POST", r"/users/@me/channels", self._open_dm),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._interaction_callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_get),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_edit),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_delete),
            ("PUT", r"/applications/(\d+)/commands", self._sync_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._sync_commands),
            ("GET", r"/applications/(\d+)/commands", self._get_commands),
        ]
        return [(m, re.compile(f"^{p}$"), h) for m, p, h in table]

    def _me(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        if self.reject_token:
            return _error(401, 0, "401: Unauthorized")
        return 200, {
            **user_payload(self.bot_user),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "locale": "en-US",
        }

    def _application(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": "botkit",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": user_payload(self.owner),
            "team": None,
            "verify_key": "0" * 64,
            "flags": GATEWAY_MESSAGE_CONTENT_LIMITED if self.message_content_enabled else 0,
            "summary": "",
        }

    def _gateway_bot(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        if not self.gateway_reachable:
            return _error(503, 0, "Service Unavailable")
        limit = {
            "total": self.session_starts,
            "remaining": self.session_starts - len(self.identified),
            "reset_after": 3_600_000,
            "max_concurrency": self.max_concurrency,
        }
        return 200, {
            "url": self.gateway_url,
            "shards": self.shards,
            "session_start_limit": limit,
        }

    def _bot_message(
        self,
        channel: FakeChannel,
        body: dict[str, Any],
        files: list[SentFile],
        *,
        webhook_id: int | None = None,
    ) -> dict[str, Any]:
        message_id = self.new_id()
        attachments = []
        for f in files:
            attachment = attachment_payload(
                self.new_id(), f.filename, len(f.data), f.content_type or None
            )
            self.cdn[attachment["url"]] = f.data
            attachments.append(attachment)
        reference = body.get("message_reference") or {}
        referenced = self.messages.get(int(reference.get("message_id") or 0))
        data = message_payload(
            message_id,
            channel,
            self.bot_user,
            body.get("content") or "",
            attachments=attachments,
            flags=int(body.get("flags") or 0),
            referenced=referenced,
            webhook_id=webhook_id,
        )
        data["components"] = body.get("components") or []
        self.messages[message_id] = data
        if self.echo_own_messages and self.open_sockets():
            self._dispatch("MESSAGE_CREATE", data, channel.guild_id)
        return {k: v for k, v in data.items() if k not in ("member", "guild_id")}

    def _create_message(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        channel = self.channels.get(int(match[1]))
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        if not isinstance(request.json, dict) or not (
            request.json.get("content") or request.files or request.json.get("attachments")
        ):
            return _error(400, 50006, "Cannot send an empty message")
        if len(request.json.get("content") or "") > 2000:
            return _error(
                400, 50035, "Invalid Form Body: content: Must be 2000 or fewer in length."
            )
        return 200, self._bot_message(channel, request.json, request.files)

    def _stored(self, channel_id: str, message_id: str) -> dict[str, Any] | None:
        stored = self.messages.get(int(message_id))
        return stored if stored is not None and stored["channel_id"] == channel_id else None

    def _get_channel(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        channel = self.channels.get(int(match[1]))
        return (200, channel_payload(channel)) if channel else _error(404, 10003, "Unknown Channel")

    def _get_message(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        stored = self._stored(match[1], match[2])
        return (200, stored) if stored is not None else _error(404, 10008, "Unknown Message")

    def _edit_message(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        stored = self._stored(match[1], match[2])
        if stored is None:
            return _error(404, 10008, "Unknown Message")
        if int(stored["author"]["id"]) != self.bot_user.id:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        return 200, self._apply_edit(stored, request.json or {})

    def _apply_edit(self, stored: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if "content" in body:
            stored["content"] = body["content"] or ""
        if "components" in body:
            stored["components"] = body["components"] or []
        stored["edited_timestamp"] = timestamp(self.new_id())
        return {k: v for k, v in stored.items() if k not in ("member", "guild_id")}

    def _delete_message(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        return (
            (204, None)
            if self.messages.pop(int(match[2]), None)
            else _error(404, 10008, "Unknown Message")
        )

    def _open_dm(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        user = self.users.get(int((request.json or {}).get("recipient_id") or 0))
        if user is None:
            return _error(400, 50007, "Cannot send messages to this user")
        return 200, channel_payload(self.channels[self.dm_channel(user)])

    def _interaction_callback(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        interaction = self.interactions.get(match[2])
        if interaction is None or interaction["id"] != match[1]:
            return _error(404, 10062, "Unknown interaction")
        if interaction["responded"] is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body = request.json or {}
        kind = body.get("type")
        interaction["responded"] = kind
        flags = (body.get("data") or {}).get("flags") or 0
        response: dict[str, Any] = {
            "interaction": {
                "id": interaction["id"],
                "type": interaction.get("type", 2),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64),
            },
            "resource": {"type": kind},
        }
        if kind == 4:
            channel = self.channels[int(interaction["channel_id"])]
            message = self._bot_message(channel, body.get("data") or {}, request.files)
            interaction["original"] = int(message["id"])
            response["resource"]["message"] = message
        return 200, response

    def _interaction_for(self, token: str) -> dict[str, Any] | None:
        interaction = self.interactions.get(token)
        return interaction if interaction is not None and interaction["responded"] else None

    def _followup(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        interaction = self._interaction_for(match[2])
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        channel = self.channels[int(interaction["channel_id"])]
        message = self._bot_message(
            channel, request.json or {}, request.files, webhook_id=self.application_id
        )
        interaction.setdefault("original", int(message["id"]))
        return 200, message

    def _webhook_message(self, match: re.Match[str]) -> dict[str, Any] | None:
        interaction = self._interaction_for(match[2])
        if interaction is None:
            return None
        wanted = interaction.get("original") if match[3] == "@original" else int(match[3])
        return self.messages.get(wanted or 0)

    def _webhook_get(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        stored = self._webhook_message(match)
        return (200, stored) if stored is not None else _error(404, 10008, "Unknown Message")

    def _webhook_edit(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        stored = self._webhook_message(match)
        if stored is None:
            return _error(404, 10008, "Unknown Message")
        return 200, self._apply_edit(stored, request.json or {})

    def _webhook_delete(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        interaction = self._interaction_for(match[2])
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        wanted = interaction.get("original") if match[3] == "@original" else int(match[3])
        self.messages.pop(wanted or 0, None)
        return 204, None

    def _sync_commands(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        guild_id = int(match[2]) if match.lastindex and match.lastindex >= 2 else None
        synced = []
        for command in request.json or []:
            synced.append(
                {
                    **command,
                    "id": str(self.new_id()),
                    "application_id": str(self.application_id),
                    "version": str(self.new_id()),
                    **({"guild_id": str(guild_id)} if guild_id else {}),
                }
            )
        self.commands[guild_id] = synced
        return 200, synced

    def _get_commands(self, request: Request, match: re.Match[str]) -> tuple[int, Any]:
        return 200, self.commands.get(None, [])

    # --- the gateway ---

    def open_sockets(self) -> list[FakeGatewaySocket]:
        return [s for s in self.sockets if not s.closed]

    def serving(self) -> dict[int, int]:
        """Shard id -> how many open, identified sockets serve it now (never more than 1)."""
        served: dict[int, int] = {}
        for socket in self.open_sockets():
            if socket.identified:
                served[socket.shard[0]] = served.get(socket.shard[0], 0) + 1
        return served

    def shard_of(self, guild_id: int) -> int:
        """The shard that carries ``guild_id``'s events, with the count the bot identified
        with (Discord's rule: ``(guild_id >> 22) % shard_count``)."""
        counts = {i.shard_count for i in self.identified} or {1}
        return (guild_id >> 22) % max(counts)

    def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> None:
        """Send a gateway event to the shard that owns ``guild_id`` (DMs: shard 0)."""
        started = time.process_time()
        try:
            self._dispatch(event, data, guild_id)
        finally:
            self.server_seconds += time.process_time() - started

    def _dispatch(self, event: str, data: dict[str, Any], guild_id: int | None) -> None:
        for socket in self.open_sockets():
            shard_id, count = socket.shard
            if not socket.identified:
                continue
            if (guild_id is None and shard_id == 0) or (
                guild_id is not None and (guild_id >> 22) % count == shard_id
            ):
                socket.dispatch(event, data)
                return
        if not self.open_sockets():
            raise RuntimeError("the bot is not connected to the fake Discord gateway")

    def on_gateway_frame(self, socket: FakeGatewaySocket, frame: dict[str, Any]) -> None:
        """Answer what the bot sends on the gateway, as Discord would."""
        op, data = frame.get("op"), frame.get("d") or {}
        if op == 1:
            socket.push_op(11, None)
        elif op == 2:
            self._identify(socket, data)
        elif op == 4:
            guild_id = int(data["guild_id"])
            channel = int(data["channel_id"]) if data.get("channel_id") else None
            moved = self.voice_states.get(self.bot_user.id) != channel
            event, payload = self.voice_state_event(self.bot_user, channel)
            payload["self_deaf"], payload["self_mute"] = data["self_deaf"], data["self_mute"]
            if channel is None and self.voice_server is not None:
                # discord.py's real voice client forgets a confirmation that comes back before
                # it starts waiting for it: Discord's is a round trip away
                asyncio.get_running_loop().call_later(
                    VOICE_ROUND_TRIP, socket.dispatch, event, payload
                )
                return
            socket.dispatch(event, payload)
            if channel is not None and moved:  # (un)deafening in place needs no new server
                server = self.voice_server
                if server is not None:
                    server.channel_id = channel  # the DAVE group's id
                socket.dispatch(
                    "VOICE_SERVER_UPDATE",
                    {
                        "token": "fake-voice-token",
                        "guild_id": str(guild_id),
                        "endpoint": server.endpoint if server else "fake-voice.discord.media:443",
                    },
                )

    def _identify(self, socket: FakeGatewaySocket, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            socket.server_close(4004)
            return
        if data.get("intents", 0) & MESSAGE_CONTENT_INTENT and not self.message_content_enabled:
            socket.server_close(4014)
            return
        shard_id, count = data.get("shard") or (0, 1)
        if self.serving().get(shard_id):
            self.double_served.append(shard_id)
        socket.shard = (shard_id, count)
        socket.identified = True
        self.identified.append(
            Identified(shard_id, count, asyncio.get_running_loop().time(), socket)
        )
        ours = [g for g in self.guild_ids if (g >> 22) % count == shard_id]
        socket.dispatch(
            "READY",
            {
                "v": 10,
                "user": {
                    **user_payload(self.bot_user),
                    "verified": True,
                    "mfa_enabled": False,
                    "flags": 0,
                },
                "guilds": [{"id": str(g), "unavailable": True} for g in ours],
                "session_id": f"fake-session-{shard_id}",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "user_settings": {},
                "shard": [shard_id, count],
            },
        )
        for guild_id in ours:
            socket.dispatch("GUILD_CREATE", self.guild_payload(guild_id=guild_id))
