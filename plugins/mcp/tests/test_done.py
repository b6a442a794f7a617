"""The issue's "done means": asked the time in Tokyo, the model calls the real
``mcp-server-time`` through the chat plugin, after the asker's ✅."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from botkit_openai_chat import ChatPlugin
from conftest import TIME, connected, mcp_config

from botkit_testkit.openai_server import FakeOpenAI, ToolCall

API_KEY = "sk-test"


def model(body: dict[str, Any]) -> Any:
    """Asked the time in Tokyo with tools offered: calls the time server's tool; then reads
    the time from its result."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        told = json.loads(last["content"])
        return f"In Tokyo it is {told['datetime'][11:16]}."
    if "Tokyo" in str(last.get("content")) and "tools" in body:
        return [ToolCall("time_get_current_time", {"timezone": "Asia/Tokyo"})]
    return "I do not know."


async def test_the_time_in_tokyo_comes_from_the_time_server_after_approval(
    botkit_harness, plugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    async with FakeOpenAI(api_key=API_KEY, chat_handler=model) as server:
        config = mcp_config({"time": {"command": TIME}}) | {
            "openai_chat": {"base_url": server.base_url, "max_retries": 0}
        }
        async with botkit_harness(
            {"mcp": plugin, "openai_chat": ChatPlugin()}, config=config
        ) as bot:
            await connected(plugin, "time")
            asked = asyncio.create_task(
                bot.send("what time is it in Tokyo", mention=True, user=bot.member)
            )
            proposal = await bot.buttons()
            await bot.press(proposal.id, "run", user=bot.member)
            reply = await asked
    assert proposal.text == (
        '🔧 The assistant wants to run time_get_current_time(timezone="Asia/Tokyo") for '
        "member. Run it?"
    )
    trace, answer = reply[-1].text.split("\n\n")
    assert trace.startswith('🔧 time_get_current_time(timezone="Asia/Tokyo") → ')
    assert trace.split(" → ", 1)[1].startswith('{ "timezone": "Asia/Tokyo", "datetime": "')
    assert answer.startswith("In Tokyo it is ")
