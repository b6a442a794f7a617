"""The real mcp-server-time over stdio: its tools offered, called through the host's tool path."""

from __future__ import annotations

import asyncio

from conftest import TIME, approve_off, connected, mcp_config, run_tool

from botkit import Message


async def test_the_servers_tools_are_listed_under_its_name(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"time": {"command": TIME}})
    ) as bot:
        await connected(plugin, "time")
        shown = await bot.send("!tools", user=bot.admin)
    assert (
        "`time_convert_time` (mcp) on, asks first: Convert time between timezones\n"
        "`time_get_current_time` (mcp) on, asks first: Get current time in a specific timezone"
    ) in shown.text


async def test_the_model_gets_the_tools_input_schema(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"time": {"command": TIME}})
    ) as bot:
        await connected(plugin, "time")
        ctx = bot.bot.context(Message("1", "", bot.member, bot.channel))
        offered = {f["function"]["name"]: f["function"] for f in await ctx.tools()}
    schema = offered["time_get_current_time"]["parameters"]
    assert schema["required"] == ["timezone"]
    assert schema["properties"]["timezone"]["type"] == "string"


async def test_a_call_runs_once_the_asker_approves(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"time": {"command": TIME}})
    ) as bot:
        await connected(plugin, "time")
        call = asyncio.create_task(run_tool(bot, "time_get_current_time", {"timezone": "UTC"}))
        proposal = await bot.buttons()
        await bot.press(proposal.id, "run", user=bot.member)
        result = await call
    assert proposal.text.startswith(
        '🔧 The assistant wants to run time_get_current_time(timezone="UTC")'
    )
    assert '"timezone": "UTC"' in result.text
    assert not result.refused


async def test_a_declined_call_does_not_run(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"time": {"command": TIME}})
    ) as bot:
        await connected(plugin, "time")
        call = asyncio.create_task(run_tool(bot, "time_get_current_time", {"timezone": "UTC"}))
        await bot.press((await bot.buttons()).id, "cancel", user=bot.member)
        result = await call
    assert result.text == "Not run: member declined to run it."


async def test_with_approval_off_a_call_runs_at_once(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"time": {"command": TIME}})
    ) as bot:
        await connected(plugin, "time")
        await approve_off(bot, "time_get_current_time")
        result = await run_tool(bot, "time_get_current_time", {"timezone": "Europe/London"})
        asked = [s for s in bot.adapter.sent if s.buttons]
    assert '"timezone": "Europe/London"' in result.text
    assert asked == []


async def test_a_tools_error_is_a_short_result(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"time": {"command": TIME}})
    ) as bot:
        await connected(plugin, "time")
        await approve_off(bot, "time_get_current_time")
        result = await run_tool(bot, "time_get_current_time", {"timezone": "Nowhere/Else"})
    assert result.text.startswith("Error: ")
    assert "Invalid timezone" in result.text
