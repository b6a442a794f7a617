"""The MCP plugin's hooks: servers started in the background, their tools offered to the
assistant (each under approval until the owner turns it off), their state for doctor."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from botkit import Context, PluginHandle, Problem, Tool, hookimpl
from botkit.web import WebPage
from botkit_mcp.servers import CONNECTED, Server, log, probe
from botkit_mcp.settings import McpSettings


class McpPlugin:
    """The servers of ``[mcp.servers]`` and their tools."""

    def __init__(self) -> None:
        self.servers: dict[str, Server] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @hookimpl
    def botkit_settings(self) -> type:
        return McpSettings

    @hookimpl
    async def botkit_startup(self, plugin: PluginHandle) -> None:
        settings: McpSettings = plugin.settings
        for spec in settings.specs():
            server = Server(spec, settings)
            self.servers[spec.name] = server
            task = asyncio.create_task(server.keep_up(), name=f"mcp server {spec.name}")
            self._tasks.append(task)
        if self.servers:
            log.info("starting MCP servers: %s", ", ".join(self.servers))

    @hookimpl
    async def botkit_shutdown(self, plugin: PluginHandle) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for server in self.servers.values():
            server.state = "stopped"

    @hookimpl
    def botkit_tools(self, plugin: PluginHandle, guild_id: str) -> list[Tool]:
        tools = []
        for server in self.servers.values():
            if server.state != CONNECTED:
                continue
            for remote in server.tools:
                tools.append(
                    Tool(
                        f"{server.spec.name}_{remote.name}",
                        remote.description,
                        remote.schema or {"type": "object", "properties": {}},
                        run=_runner(server, remote.name),
                        confirm=True,
                    )
                )
        return tools

    @hookimpl
    def botkit_web_pages(self) -> list[WebPage]:
        """The console's page of the servers, their state and their tools."""
        from botkit_mcp.web import McpPage

        return [McpPage(self).page()]

    @hookimpl
    async def botkit_health(self, plugin: PluginHandle) -> list[Problem]:
        settings: McpSettings = plugin.settings
        specs = settings.specs()
        if not specs:
            return [Problem("no MCP servers configured", "add [mcp.servers.NAME]", "info")]
        if self.servers:
            lines = {name: s.line for name, s in self.servers.items()}
        else:  # doctor, without a running bot: connect once to each
            found = await asyncio.gather(*(probe(spec, settings) for spec in specs))
            lines = {spec.name: line for spec, line in zip(specs, found, strict=True)}
        problems = []
        for spec in specs:
            line = lines[spec.name]
            message = f"server {spec.name} ({spec.where}): {line}"
            if line.startswith(CONNECTED):
                problems.append(Problem(message, severity="info"))
            else:
                problems.append(Problem(message, "check [mcp.servers." + spec.name + "]"))
        return problems


def _runner(server: Server, name: str) -> Any:
    async def run(ctx: Context, arguments: dict[str, Any]) -> str:
        return await server.call(name, arguments)

    return run
