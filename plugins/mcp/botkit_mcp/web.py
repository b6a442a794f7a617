"""The console's MCP page: each configured server, how it is reached (never its header values
or tokens), its state and restarts, and its tools with their state in the server, where the
owner or an admin turns approval off or on for one tool (as ``!tools approval`` does)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from botkit import CommandError
from botkit.util import redact
from botkit.web import WebPage, WebView, e, hidden, table
from botkit_mcp.servers import CONNECTED, RESTARTING, STARTING, Server
from botkit_mcp.settings import ServerSpec

if TYPE_CHECKING:
    from botkit_mcp.plugin import McpPlugin

CHANGES = {"trust": False, "ask": True}


def transport(spec: ServerSpec) -> str:
    """How the server is reached, for people: its command (stdio) or its address without
    user, password, query or fragment (streamable HTTP); known secrets masked."""
    if spec.command:
        return "stdio: " + redact(" ".join(spec.command))
    parts = urlsplit(spec.url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return "streamable HTTP: " + redact(urlunsplit((parts.scheme, host, parts.path, "", "")))


def state(server: Server) -> str:
    """Connected, starting, restarting with its back-off and why, or stopped."""
    if server.state == CONNECTED:
        return "connected"
    if server.state == STARTING:
        return "starting"
    if server.state == RESTARTING:
        return (
            f"failed ({server.error or 'no reason given'}); "
            f"restarting with back-off, next try after {server.retry_in:g} s"
        )
    return server.state + (f" ({server.error})" if server.error else "")


class McpPage:
    """``/s/<server>/p/mcp/servers``."""

    def __init__(self, plugin: McpPlugin) -> None:
        self.plugin = plugin

    def page(self) -> WebPage:
        return WebPage("servers", "MCP servers", self.render, {"approval": self.approval})

    async def render(self, view: WebView) -> str:
        servers = self.plugin.servers
        if not servers:
            return (
                "<p>No MCP servers are running: add <code>[mcp.servers.NAME]</code> to the "
                "configuration (docs/tools.md).</p>"
            )
        choices = await view.tool_choices()
        return "".join(self._server(view, s, choices) for s in servers.values())

    def _server(self, view: WebView, server: Server, choices: dict[str, dict[str, bool]]) -> str:
        name = server.spec.name
        about = table(
            ("transport", "state", "restarts"),
            [[e(transport(server.spec)), e(state(server)), str(server.restarts)]],
            f"The MCP server {name}",
        )
        rows = []
        for remote in server.tools:
            tool = f"{name}_{remote.name}"
            chosen = choices.get(tool, {})
            enabled, approval = chosen.get("enabled", True), chosen.get("approval", True)
            ask = "asks first" if approval else "runs without asking"
            if server.state == CONNECTED:
                change = "trust" if approval else "ask"
                label = "Stop asking" if approval else "Ask first"
                inner = hidden("tool", tool) + hidden("change", change)
                ask += " " + view.form("approval", inner, label, f"{label}: {tool}")
            rows.append(
                [
                    f"<code>{e(tool)}</code>",
                    e(remote.description),
                    "enabled" if enabled else "disabled",
                    ask,
                ]
            )
        tools = (
            table(
                ("tool", "what it does", "here", "approval"),
                rows,
                f"The tools of {name} in this server",
            )
            if rows
            else "<p>No tools listed yet (they are listed once the server connects).</p>"
        )
        return f"<h2>{e(name)}</h2>{about}{tools}"

    async def approval(self, view: WebView) -> str:
        """Turn approval off (``trust``) or on (``ask``) for one tool of a connected server."""
        tool, change = view.field("tool"), view.field("change")
        if change not in CHANGES:
            raise CommandError("No such MCP tool here: see the list as it is now.")
        await view.choose_tool(tool, approval=CHANGES[change])
        if CHANGES[change]:
            return f"{tool} now runs only after the asker approves each call."
        return f"{tool} now runs without asking."
