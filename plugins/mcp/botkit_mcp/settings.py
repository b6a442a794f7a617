"""The ``[mcp]`` section of botkit.toml: the MCP servers and how long to wait for them."""

from __future__ import annotations

import difflib
import re
from typing import Any

import attrs

from botkit import positive, setting

KEYS = ("command", "url", "headers_env", "env_from")
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@attrs.frozen
class ServerSpec:
    """One server: started with ``command`` (stdio) or reached at ``url`` (streamable HTTP).

    ``headers_env`` maps an HTTP header to the environment variable holding its value;
    ``env_from`` maps a variable the server process gets to the one of the bot it copies.
    """

    name: str
    command: tuple[str, ...] = ()
    url: str = ""
    headers_env: dict[str, str] = attrs.field(factory=dict)
    env_from: dict[str, str] = attrs.field(factory=dict)

    @property
    def where(self) -> str:
        """What the server is, for people: its command or its address."""
        return " ".join(self.command) if self.command else self.url


def parse_server(name: str, table: Any) -> ServerSpec:
    """The server ``[mcp.servers.NAME]``; ValueError saying what is wrong and how to fix it."""
    where = f"servers.{name}"
    if not _NAME.match(name):
        raise ValueError(f"{where}: a server's name may hold only letters, digits, _ and -")
    if not isinstance(table, dict):
        raise ValueError(f'{where} must be a table with command = [...] or url = "..."')
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"keys: {', '.join(KEYS)}"
            raise ValueError(f"{where}: {key} is not a key of a server ({hint})")
    command, url = table.get("command"), table.get("url")
    if (command is None) == (url is None):
        raise ValueError(f'{where} needs either command = [...] (stdio) or url = "..." (HTTP)')
    if command is not None and (
        not isinstance(command, list)
        or not command
        or not all(isinstance(w, str) and w for w in command)
    ):
        raise ValueError(f'{where}: command must be a list of words, e.g. ["uvx", "server"]')
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise ValueError(f"{where}: url must start with http:// or https://, not {url!r}")
    headers = _names(where, "headers_env", table.get("headers_env", {}))
    env = _names(where, "env_from", table.get("env_from", {}))
    if command is not None and headers:
        raise ValueError(f"{where}: headers_env is for url servers; use env_from with command")
    if url is not None and env:
        raise ValueError(f"{where}: env_from is for command servers; use headers_env with url")
    return ServerSpec(name, tuple(command or ()), url or "", headers, env)


def _names(where: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ValueError(
            f"{where}: {key} must map names to environment variable names, "
            f'e.g. {{ Authorization = "SEARCH_TOKEN" }}'
        )
    return dict(value)


def _check_servers(instance: Any, attribute: Any, value: dict[str, Any]) -> None:
    for name, table in value.items():
        parse_server(name, table)


@attrs.define
class McpSettings:
    """Settings of the MCP plugin."""

    servers: dict[str, dict[str, object]] = setting(
        {},
        'MCP servers by name: [mcp.servers.NAME] with command = [...] or url = "..."',
        _check_servers,
    )
    call_timeout: float = setting(30.0, "seconds one tool call may take", positive)
    connect_timeout: float = setting(20.0, "seconds to start a server and list its tools", positive)
    ping_interval: float = setting(
        30.0, "seconds between checks that a server still answers", positive
    )
    restart_delay: float = setting(
        1.0, "seconds before restarting a server that stopped; doubles after each failure", positive
    )
    max_restart_delay: float = setting(300.0, "the longest wait between restarts", positive)
    max_result_chars: int = setting(4000, "characters of a tool's result the model reads", positive)

    def specs(self) -> list[ServerSpec]:
        """The servers, checked (the validator already refused wrong ones)."""
        return [parse_server(name, table) for name, table in sorted(self.servers.items())]
