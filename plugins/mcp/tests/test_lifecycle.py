"""Servers that exit, that cannot start, and the state doctor shows."""

from __future__ import annotations

from botkit_mcp import McpPlugin
from conftest import DYING, TIME, approve_off, connected, mcp_config, run_tool, until

WRONG = ["botkit-no-such-mcp-server"]


async def test_a_server_that_exits_is_restarted(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"dying": {"command": DYING}})
    ) as bot:
        await connected(plugin, "dying")
        await approve_off(bot, "dying_die", "dying_ping")
        died = await run_tool(bot, "dying_die", {})
        await connected(plugin, "dying", restarts=1)
        answer = await run_tool(bot, "dying_ping", {})
    assert (
        died.text
        == "The MCP server dying failed: the server closed the connection (see its error output)."
    )
    assert answer.text == "pong"


async def test_a_wrong_command_gives_a_clear_health_line(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"broken": {"command": WRONG}})
    ) as bot:
        await until(lambda: plugin.servers["broken"].restarts > 0)
        [(_, problems)] = await bot.call_all("botkit_health")
    assert problems[0].message.startswith(
        "server broken (botkit-no-such-mcp-server): not connected "
        "(cannot start 'botkit-no-such-mcp-server': command not found); restart #"
    )


async def test_health_shows_a_connected_server_and_its_tools(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"time": {"command": TIME}})
    ) as bot:
        await connected(plugin, "time")
        [(_, problems)] = await bot.call_all("botkit_health")
    assert [(p.message, p.severity) for p in problems] == [
        (f"server time ({' '.join(TIME)}): connected, 2 tool(s)", "info")
    ]


async def test_doctor_without_a_running_bot_connects_once(botkit_harness, plugin) -> None:
    servers = {"time": {"command": TIME}, "broken": {"command": WRONG}}
    async with botkit_harness({"mcp": plugin}, config=mcp_config(servers)) as bot:
        fresh = McpPlugin()  # its startup hook never ran, as under botkit doctor
        problems = await fresh.botkit_health(bot.handle("mcp"))
    assert [p.message for p in problems] == [
        "server broken (botkit-no-such-mcp-server): not connected "
        "(cannot start 'botkit-no-such-mcp-server': command not found)",
        f"server time ({' '.join(TIME)}): connected, 2 tool(s)",
    ]


async def test_a_tool_of_a_server_not_connected_is_not_offered(botkit_harness, plugin) -> None:
    async with botkit_harness(
        {"mcp": plugin}, config=mcp_config({"broken": {"command": WRONG}})
    ) as bot:
        await until(lambda: plugin.servers["broken"].restarts > 0)
        shown = await bot.send("!tools", user=bot.admin)
    assert "broken_" not in shown.text
