"""An MCP server over stdio whose ``die`` tool ends its process (run as a script by the tests)."""

import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("dying")


@server.tool()
def die() -> str:
    """End the server's process."""
    os._exit(3)


@server.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"


server.run()
