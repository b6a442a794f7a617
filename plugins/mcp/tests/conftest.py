"""A bot with the MCP plugin, the real ``mcp-server-time`` over stdio, and helpers."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botkit_mcp import McpPlugin

from botkit import Message
from botkit.tools import ToolResult

TIME = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]
DYING = [sys.executable, str(Path(__file__).parent / "servers_dying.py")]
QUICK = {"restart_delay": 0.05, "ping_interval": 0.2, "connect_timeout": 15.0}


def mcp_config(servers: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"mcp": {"servers": servers, **QUICK, **settings}}


async def until(check: Callable[[], bool], wait: float = 20.0) -> None:
    """Wait until ``check()`` holds (servers start in the background)."""
    async with asyncio.timeout(wait):
        while not check():  # noqa: ASYNC110 - set by the servers' own tasks
            await asyncio.sleep(0.02)


async def connected(plugin: McpPlugin, name: str, restarts: int = 0) -> None:
    server = plugin.servers[name]
    await until(lambda: server.state == "connected" and server.restarts >= restarts)


async def run_tool(bot: Any, name: str, arguments: dict[str, Any]) -> ToolResult:
    """The tool run as a member asks it (approval off for it, or given elsewhere)."""
    ctx = bot.bot.context(Message("1", "", bot.member, bot.channel))
    return await ctx.run_tool(name, arguments)


async def approve_off(bot: Any, *names: str) -> None:
    for name in names:
        await bot.send(f"!tools approval {name} off", user=bot.admin)


@pytest.fixture
def plugin() -> McpPlugin:
    return McpPlugin()
