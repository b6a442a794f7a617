"""Connections to MCP servers: each kept up by a background task that restarts it with
back-off, and tool calls through it with a time-out; failures become short texts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import attrs

from botkit.util import redact, remember_secret
from botkit_mcp.settings import McpSettings, ServerSpec

log = logging.getLogger("botkit.plugin.mcp")

STARTING, CONNECTED, RESTARTING, STOPPED = "starting", "connected", "restarting", "stopped"


@attrs.frozen
class RemoteTool:
    """A tool one server offers: its name there, description and input JSON schema."""

    name: str
    description: str
    schema: dict[str, Any]


class Unavailable(Exception):
    """The server cannot be reached; the message says why, for people."""


def describe(exc: BaseException, spec: ServerSpec) -> str:
    """A short, secret-free sentence for what went wrong (the innermost error of a group)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError) and spec.command:
        return f"cannot start {spec.command[0]!r}: command not found"
    if isinstance(exc, Unavailable):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    from mcp.shared.exceptions import MCPError

    if isinstance(exc, MCPError) and "closed" in str(exc.error.message).lower():
        return "the server closed the connection (see its error output)"
    text = str(exc) or type(exc).__name__
    return redact(f"{type(exc).__name__}: {text}", 200)


def result_text(result: Any, limit: int) -> str:
    """What the model reads of a tool's result: its text, other content named."""
    parts = []
    for item in result.content:
        kind = getattr(item, "type", "")
        if kind == "text":
            parts.append(item.text)
        elif kind == "resource" and hasattr(item.resource, "text"):
            parts.append(item.resource.text)
        else:
            parts.append(f"[{kind or 'content'} not shown]")
    text = "\n".join(parts).strip()
    if not text and result.structured_content is not None:
        text = str(result.structured_content)
    if result.is_error:
        text = f"Error: {text or 'the tool failed'}"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text or "done"


class Server:
    """One configured server, kept connected by :meth:`keep_up`."""

    def __init__(self, spec: ServerSpec, settings: McpSettings) -> None:
        self.spec = spec
        self.settings = settings
        self.state = STARTING
        self.error = ""
        self.tools: list[RemoteTool] = []
        self.restarts = 0
        self.retry_in = 0.0  # seconds of the back-off before the pending restart
        self._session: Any = None
        self._broken = asyncio.Event()
        self._refused = (
            ""  # the last HTTP error status the server answered, e.g. "401 Unauthorized"
        )

    @property
    def line(self) -> str:
        """The state for people: connected with N tools, or what is wrong."""
        if self.state == CONNECTED:
            return f"connected, {len(self.tools)} tool(s)"
        if self.state == RESTARTING:
            return f"not connected ({self.error}); restart #{self.restarts} pending"
        return self.state + (f" ({self.error})" if self.error else "")

    # --- connecting ---

    @contextlib.asynccontextmanager
    async def _transport(self) -> AsyncIterator[tuple[Any, Any]]:
        spec = self.spec
        if spec.command:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            env = {k: os.environ[v] for k, v in spec.env_from.items() if v in os.environ}
            for value in env.values():
                remember_secret(value)
            params = StdioServerParameters(
                command=spec.command[0], args=list(spec.command[1:]), env=env
            )
            async with stdio_client(params, errlog=sys.stderr) as streams:
                yield streams
            return
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        missing = [v for v in spec.headers_env.values() if not os.environ.get(v)]
        if missing:
            raise Unavailable(f"environment variable {', '.join(missing)} is not set")
        headers = {k: os.environ[v] for k, v in spec.headers_env.items()}
        for value in headers.values():
            remember_secret(value)
        async with (
            create_mcp_http_client(headers=headers) as http,
            streamable_http_client(spec.url, http_client=http) as streams,
        ):
            http.event_hooks["response"].append(self._saw)
            yield streams[0], streams[1]

    async def _saw(self, response: Any) -> None:
        if response.status_code >= 400:
            self._refused = f"{response.status_code} {response.reason_phrase}".strip()

    def failure(self, exc: BaseException) -> str:
        """Why connecting or a ping failed, naming the HTTP status the server answered."""
        if self._refused:
            hint = " (check headers_env)" if self._refused[:3] in ("401", "403") else ""
            return f"the server answered HTTP {self._refused}{hint}"
        return describe(exc, self.spec)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Any]:
        """A session with the tools listed, within ``connect_timeout``."""
        from mcp import ClientSession

        self._refused = ""
        async with asyncio.timeout(self.settings.connect_timeout) as deadline:
            async with self._transport() as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                tools, cursor = [], None
                while True:
                    from mcp.types import PaginatedRequestParams

                    params = PaginatedRequestParams(cursor=cursor) if cursor else None
                    listed = await session.list_tools(params=params)
                    tools += [
                        RemoteTool(t.name, t.description or "", dict(t.input_schema))
                        for t in listed.tools
                    ]
                    cursor = listed.next_cursor
                    if not cursor:
                        break
                self.tools = tools
                deadline.reschedule(None)
                yield session

    async def keep_up(self) -> None:
        """Connect, watch, and restart with back-off until cancelled."""
        failures = 0
        while True:
            self._broken.clear()
            try:
                async with self.session() as session:
                    self._session, self.state, self.error = session, CONNECTED, ""
                    failures = 0
                    log.info("MCP server %s connected: %d tool(s)", self.spec.name, len(self.tools))
                    await self._watch(session)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                if not isinstance(exc, Exception | BaseExceptionGroup):
                    raise
                self.error = self.failure(exc)
            finally:
                self._session = None
            failures += 1
            self.restarts += 1
            self.state = RESTARTING
            delay = min(
                self.settings.restart_delay * 2 ** (failures - 1), self.settings.max_restart_delay
            )
            self.retry_in = delay
            log.warning(
                "MCP server %s stopped (%s); restarting in %g s", self.spec.name, self.error, delay
            )
            await asyncio.sleep(delay)

    async def _watch(self, session: Any) -> None:
        """Return once the server stops answering (a ping fails or a call found it closed)."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.ping_interval):
                    await self._broken.wait()
            if self._broken.is_set():
                return
            try:
                async with asyncio.timeout(self.settings.call_timeout):
                    await session.send_ping()
            except Exception as exc:
                self.error = self.failure(exc)
                return

    # --- calling ---

    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        """The tool's result as text; every failure is a short text too."""
        from mcp.shared.exceptions import MCPError

        name, session = self.spec.name, self._session
        if session is None or self.state != CONNECTED:
            return f"The MCP server {name} is not connected: {self.line}."
        limit = self.settings.call_timeout
        try:
            async with asyncio.timeout(limit):
                result = await session.call_tool(tool, arguments)
        except TimeoutError:
            log.warning("MCP tool %s of server %s took longer than %g s", tool, name, limit)
            return f"The MCP server {name} did not answer within {limit:g} s."
        except MCPError as exc:
            why = describe(exc, self.spec)
            if "closed" in why:
                self.error = why
                self._broken.set()
            log.warning("MCP tool %s of server %s failed: %s", tool, name, why)
            return f"The MCP server {name} failed: {why}."
        except Exception as exc:
            log.exception("MCP tool %s of server %s failed", tool, name)
            return f"The MCP server {name} failed: {describe(exc, self.spec)}."
        return result_text(result, self.settings.max_result_chars)


async def probe(spec: ServerSpec, settings: McpSettings) -> str:
    """Connect once and close (for ``botkit doctor`` without a running bot): the state line."""
    server = Server(spec, settings)
    try:
        async with server.session():
            pass
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        if not isinstance(exc, Exception | BaseExceptionGroup):
            raise
        return f"not connected ({server.failure(exc)})"
    return f"connected, {len(server.tools)} tool(s)"
