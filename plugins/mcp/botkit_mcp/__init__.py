"""botkit-mcp: the tools of MCP servers for the assistant.

The entry point ``mcp = "botkit_mcp"`` registers this module: its hooks are those of one
:class:`McpPlugin`; tests register their own ``McpPlugin()``.
"""

from __future__ import annotations

from botkit import PluginHandle, Problem, Tool, hookimpl
from botkit.web import WebPage
from botkit_mcp.plugin import McpPlugin

_plugin = McpPlugin()


@hookimpl
def botkit_settings() -> type:
    return _plugin.botkit_settings()


@hookimpl
async def botkit_startup(plugin: PluginHandle) -> None:
    await _plugin.botkit_startup(plugin)


@hookimpl
async def botkit_shutdown(plugin: PluginHandle) -> None:
    await _plugin.botkit_shutdown(plugin)


@hookimpl
def botkit_tools(plugin: PluginHandle, guild_id: str) -> list[Tool]:
    return _plugin.botkit_tools(plugin, guild_id)


@hookimpl
def botkit_web_pages() -> list[WebPage]:
    return _plugin.botkit_web_pages()


@hookimpl
async def botkit_health(plugin: PluginHandle) -> list[Problem]:
    return await _plugin.botkit_health(plugin)


__all__ = ["McpPlugin"]
