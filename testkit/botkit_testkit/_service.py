"""What the fake REST services share: a local aiohttp server, bearer-key checks, a request log,
injected faults and delays, and (on request) a 401 that echoes the key it was given, as some
services do.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import attrs
from aiohttp import web
from aiohttp.typedefs import Handler

HANG_SECONDS = 3600.0


@attrs.define
class Recorded:
    """One request as received: method, path (without the fake's ``path_prefix``), query, JSON
    body or form, and the headers without any that carry the API key."""

    method: str
    path: str
    query: dict[str, str] = attrs.field(factory=dict)
    json: Any = None
    form: dict[str, str] = attrs.field(factory=dict)
    files: dict[str, bytes] = attrs.field(factory=dict)
    headers: dict[str, str] = attrs.field(factory=dict)


@attrs.define
class Fault:
    path: str
    times: int
    status: int | None  # None: hang until the server stops
    message: str = ""
    code: str | None = None


RECORD = web.RequestKey("service_record", Recorded)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def now() -> int:
    return int(time.time())


@attrs.define
class FakeService(abc.ABC):
    """Base of the fakes: subclasses add routes in :meth:`routes` and shape errors in
    :meth:`error_body`. ``open_paths`` are path prefixes served without a key (signed URLs);
    ``path_prefix`` is cut from the paths of recorded requests and faults; ``default_path`` is
    where :meth:`fail_next` and :meth:`hang_next` aim when given no path."""

    api_key: str | None = "test-key"
    echo_key: bool = False
    port: int = 0
    finish_after: float | None = None  # seconds after which a job read finishes by itself
    fail_reason: str | None = None  # ... and fails with this reason instead of succeeding
    delay: float = 0.0  # seconds before each answer
    requests: list[Recorded] = attrs.field(init=False, factory=list)
    _faults: list[Fault] = attrs.field(init=False, factory=list)
    _runner: web.AppRunner | None = attrs.field(init=False, default=None)
    _stopping: asyncio.Event = attrs.field(init=False, factory=asyncio.Event)
    _born: dict[str, float] = attrs.field(init=False, factory=dict)

    open_paths: ClassVar[tuple[str, ...]] = ()
    path_prefix: ClassVar[str] = ""
    default_path: ClassVar[str | None] = None

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._runner is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    @property
    def base_url(self) -> str:
        """The service's REST base as users configure it: ``http://127.0.0.1:PORT/v1``."""
        return self.origin + "/v1"

    @abc.abstractmethod
    def routes(self) -> list[web.RouteDef]:
        """The service's endpoints (each fake defines its own)."""

    @abc.abstractmethod
    def error_body(self, status: int, message: str, code: str | None) -> dict[str, Any]:
        """The JSON body the service sends with an error status, in its own shape; ``code`` is
        the error code a test asked for, if any."""

    def error(
        self,
        status: int,
        message: str,
        code: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        body = self.error_body(status, message, code)
        return web.json_response(body, status=status, headers=headers)

    def unauthorized(self, given: str) -> web.Response:
        """The 401 for a missing or wrong key; with ``echo_key`` it quotes the key ``given``."""
        shown = f": {given}" if self.echo_key else ""
        return self.error(401, f"Invalid API key provided{shown}.")

    async def start(self) -> None:
        """Listen on 127.0.0.1 (``port`` 0 picks a free port) in the running event loop."""
        app = web.Application(middlewares=[self._middleware], client_max_size=256 * 2**20)
        app.router.add_routes(self.routes())
        self._stopping = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Release hanging requests and shut the server down."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def fail_next(
        self,
        status: int,
        message: str = "Injected failure",
        code: str | None = None,
        path: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` (exact, as recorded) with ``status``;
        a 429 says ``retry-after: 0``."""
        self._faults.append(Fault(self._fault_path(path), times, status, message, code))

    def hang_next(self, path: str | None = None, times: int = 1) -> None:
        """Let the next ``times`` requests to ``path`` hang until the server stops."""
        self._faults.append(Fault(self._fault_path(path), times, None))

    def _fault_path(self, path: str | None) -> str:
        if path is not None:
            return path
        if self.default_path is None:
            raise TypeError(f"{type(self).__name__} needs the path of the request to fault")
        return self.default_path

    def due(self, job_id: str) -> bool:
        """Whether ``finish_after`` says the job should have finished by now."""
        born = self._born.setdefault(job_id, time.monotonic())
        return self.finish_after is not None and time.monotonic() - born >= self.finish_after

    def paths(self, method: str | None = None) -> list[str]:
        """The paths requested so far (of one method, when given)."""
        return [r.path for r in self.requests if method is None or r.method == method]

    def _authorized(self, request: web.Request) -> bool:
        if not self.api_key or request.path.startswith(self.open_paths):
            return True
        return request.headers.get("Authorization") == f"Bearer {self.api_key}"

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record, delay, authenticate, parse and inject faults before calling ``handler``."""
        path = request.path.removeprefix(self.path_prefix)
        record = Recorded(request.method, path, dict(request.query))
        record.headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() != "authorization" and not (self.api_key and self.api_key in value)
        }
        self.requests.append(record)
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if not self._authorized(request):
            return self.unauthorized(
                request.headers.get("Authorization", "").removeprefix("Bearer ")
            )
        try:
            if request.content_type == "application/json" and request.can_read_body:
                record.json = await request.json()
            elif request.content_type == "multipart/form-data":
                for name, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        record.files[name] = value.file.read()
                    else:
                        record.form[name] = str(value)
        except ValueError:
            return self.error(400, "We could not parse the body of your request.")
        request[RECORD] = record
        fault = next((f for f in self._faults if f.path == path), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            if fault.status is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), HANG_SECONDS)
                return self.error(503, "The server is shutting down.")
            headers = {"retry-after": "0"} if fault.status == 429 else None
            return self.error(fault.status, fault.message, fault.code, headers=headers)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            return self.error(exc.status, exc.reason)


def serve(cls: type[FakeService], description: str, argv: Sequence[str] | None = None) -> None:
    """Run a fake from the command line (``python -m botkit_testkit.together_server``): prints
    ``READY <base_url>`` once listening, stops on SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=cls().api_key or "", help="empty: no auth")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--finish-after", type=float, help="seconds until a job finishes")
    parser.add_argument("--fail-reason", help="jobs fail with this reason instead")
    args = parser.parse_args(argv)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        server = cls(api_key=args.api_key or None, port=args.port, delay=args.delay)
        server.finish_after, server.fail_reason = args.finish_after, args.fail_reason
        async with server:
            print(f"READY {server.base_url}", flush=True)
            await stop.wait()

    asyncio.run(run())
