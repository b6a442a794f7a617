"""The MCP plugin's page in a real browser: the servers, their state and tools, and approval
turned off for one tool there, which ``!tools`` in chat then shows."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from botkit_mcp import McpPlugin
from web_kit import ADMIN, START, link_for

from botkit.testing import start_harness

TIME = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]
QUICK = {"restart_delay": 0.05, "ping_interval": 0.5, "connect_timeout": 15.0}


@pytest.fixture
def mcp() -> McpPlugin:
    return McpPlugin()


@pytest.fixture
async def bot(tmp_path, mcp) -> AsyncIterator[Any]:
    """A bot with the real mcp-server-time and a server whose command does not exist."""
    servers = {"time": {"command": TIME}, "broken": {"command": ["botkit-no-such-mcp-server"]}}
    config = {
        "bot": {"owner_ids": ["1"]},
        "web": {"listen": "127.0.0.1:0"},
        "mcp": {"servers": servers, **QUICK},
    }
    async with start_harness(
        {"mcp": mcp}, config=config, data_dir=tmp_path / "data", wall_clock=lambda: START
    ) as started:
        async with asyncio.timeout(20):
            while mcp.servers["time"].state != "connected" or not mcp.servers["broken"].restarts:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        yield started


async def test_approval_turned_off_on_the_mcp_page_is_what_tools_says(bot, page, shots) -> None:
    await page.goto(await link_for(bot, ADMIN))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/s/500/$"))
    await page.get_by_role("link", name="MCP servers").click()
    main = await page.inner_text("main")
    assert "connected" in main
    assert "cannot start 'botkit-no-such-mcp-server': command not found" in main
    await page.screenshot(path=shots / "mcp.png", full_page=True)
    await page.get_by_role("button", name="Stop asking: time_get_current_time").click()
    status = await page.get_by_role("status").inner_text()
    assert "time_get_current_time now runs without asking." in status
    listed = await bot.send("!tools", user=bot.admin)
    assert "`time_get_current_time` (mcp) on: Get current time" in listed.text
