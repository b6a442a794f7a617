"""``[mcp]``: wrong servers are clear configuration errors."""

from __future__ import annotations

import pytest
from botkit_mcp.settings import McpSettings, ServerSpec

from botkit.config import ConfigError, build_settings


def build(servers: dict) -> McpSettings:
    return build_settings(McpSettings, {"servers": servers}, "botkit.toml", "mcp")


def test_both_kinds_of_server_are_read() -> None:
    settings = build(
        {
            "time": {"command": ["uvx", "mcp-server-time"], "env_from": {"TZ": "BOT_TZ"}},
            "search": {"url": "https://s.example/mcp", "headers_env": {"Authorization": "TOK"}},
        }
    )
    assert settings.specs() == [
        ServerSpec("search", url="https://s.example/mcp", headers_env={"Authorization": "TOK"}),
        ServerSpec("time", command=("uvx", "mcp-server-time"), env_from={"TZ": "BOT_TZ"}),
    ]


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        (
            {"time": {"comand": ["x"]}},
            "servers.time: comand is not a key of a server (did you mean command?)",
        ),
        ({"time": {}}, 'servers.time needs either command = [...] (stdio) or url = "..." (HTTP)'),
        (
            {"t": {"command": ["x"], "url": "http://h/mcp"}},
            "servers.t needs either command",
        ),
        ({"t": {"command": "uvx server"}}, "servers.t: command must be a list of words"),
        ({"t": {"url": "ftp://h"}}, "servers.t: url must start with http:// or https://"),
        (
            {"t": {"url": "http://h/mcp", "headers_env": {"Authorization": 5}}},
            "servers.t: headers_env must map names to environment variable names",
        ),
        ({"t": {"command": ["x"], "headers_env": {"A": "B"}}}, "headers_env is for url servers"),
        ({"a b": {"command": ["x"]}}, "servers.a b: a server's name may hold only letters"),
    ],
)
def test_a_wrong_server_is_a_config_error(servers: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^botkit\.toml: \[mcp\]: ") as raised:
        build(servers)
    assert message in str(raised.value)


def test_a_wrong_setting_names_the_close_one() -> None:
    with pytest.raises(
        ConfigError, match=r"call_timout is not a setting \(did you mean call_timeout\?\)"
    ):
        build_settings(McpSettings, {"call_timout": 5}, "botkit.toml", "mcp")
