"""The configuration examples of the README and docs/tools.md are valid ``[mcp]`` sections."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from botkit_mcp.settings import McpSettings

from botkit.config import build_settings

ROOT = Path(__file__).parent.parent
DOCS = {
    "README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
    "docs/tools.md": (ROOT.parent.parent / "docs" / "tools.md")
    .read_text(encoding="utf-8")
    .partition("## MCP servers")[2],
}


@pytest.mark.parametrize("name", sorted(DOCS))
def test_the_documented_servers_are_valid(name: str) -> None:
    [block] = re.findall(r"```toml\n(.*?)```", DOCS[name], flags=re.S)
    settings = build_settings(McpSettings, tomllib.loads(block)["mcp"], name, "mcp")
    assert [(s.name, s.where) for s in settings.specs()] == [
        ("search", "http://127.0.0.1:8931/mcp"),
        ("time", "python -m mcp_server_time --local-timezone UTC"),
    ]
