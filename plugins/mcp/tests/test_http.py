"""A streamable-HTTP server made with the SDK's MCPServer (FastMCP) inside the test, behind a
header the bot takes from the environment."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from conftest import approve_off, connected, mcp_config, run_tool, until
from mcp.server.mcpserver import MCPServer

TOKEN = "Bearer s3cret-token-for-tests"


def search_app() -> Any:
    """The server's app, answering 401 to a request without the right Authorization."""
    server = MCPServer("search")

    @server.tool()
    def find(query: str) -> str:
        """Find pages about a query."""
        return f"3 pages about {query}"

    @server.tool()
    async def slow() -> str:
        """Take a long time."""
        await asyncio.sleep(30)
        return "late"

    app = server.streamable_http_app()

    async def guarded(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (b"authorization", TOKEN.encode()) not in scope["headers"]:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"no"})
            return
        await app(scope, receive, send)

    return guarded


@pytest.fixture
async def url() -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(search_app(), log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await until(lambda: server.started)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    server.should_exit = True
    await task


def search(url: str) -> dict[str, Any]:
    return {"search": {"url": url, "headers_env": {"Authorization": "SEARCH_TOKEN"}}}


async def test_a_call_carries_the_header_from_the_environment(
    botkit_harness, plugin, url, monkeypatch
) -> None:
    monkeypatch.setenv("SEARCH_TOKEN", TOKEN)
    async with botkit_harness({"mcp": plugin}, config=mcp_config(search(url))) as bot:
        await connected(plugin, "search")
        await approve_off(bot, "search_find")
        result = await run_tool(bot, "search_find", {"query": "otters"})
    assert result.text == "3 pages about otters"


async def test_without_the_variable_health_says_which_is_missing(
    botkit_harness, plugin, url, monkeypatch
) -> None:
    monkeypatch.delenv("SEARCH_TOKEN", raising=False)
    async with botkit_harness({"mcp": plugin}, config=mcp_config(search(url))) as bot:
        await until(lambda: plugin.servers["search"].restarts > 0)
        [(_, problems)] = await bot.call_all("botkit_health")
    assert problems[0].message.startswith(
        f"server search ({url}): not connected (environment variable SEARCH_TOKEN is not set)"
    )
    assert problems[0].severity == "error"


async def test_a_wrong_token_is_a_clear_error_without_the_token(
    botkit_harness, plugin, url, monkeypatch
) -> None:
    monkeypatch.setenv("SEARCH_TOKEN", "Bearer wrong-token-123")
    async with botkit_harness({"mcp": plugin}, config=mcp_config(search(url))) as bot:
        await until(lambda: plugin.servers["search"].restarts > 0)
        [(_, problems)] = await bot.call_all("botkit_health")
    assert "HTTP 401 Unauthorized (check headers_env)" in problems[0].message
    assert "wrong-token-123" not in problems[0].message


async def test_a_call_that_takes_too_long_is_stopped(
    botkit_harness, plugin, url, monkeypatch
) -> None:
    monkeypatch.setenv("SEARCH_TOKEN", TOKEN)
    config = mcp_config(search(url), call_timeout=0.3)
    async with botkit_harness({"mcp": plugin}, config=config) as bot:
        await connected(plugin, "search")
        await approve_off(bot, "search_slow")
        result = await run_tool(bot, "search_slow", {})
    assert result.text == "The MCP server search did not answer within 0.3 s."
