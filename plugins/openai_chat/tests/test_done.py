"""The issue's "done means": the README's dice plugin, and a model that calls its ``roll``."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any

from botkit.testing import MEMBER
from botkit_testkit.openai_server import ToolCall

README = Path(__file__).parents[3] / "README.md"


def readme_dice() -> types.ModuleType:
    """``botkit_dice/__init__.py`` exactly as the README shows it."""
    text = README.read_text(encoding="utf-8")
    source = re.search(r"```python\n(# botkit_dice/__init__\.py\n.*?)```", text, re.S).group(1)
    module = types.ModuleType("botkit_dice")
    exec(compile(source, "botkit_dice/__init__.py", "exec"), module.__dict__)
    return module


def model(body: dict[str, Any]) -> Any:
    """Asked to roll with tools offered: calls ``roll`` with 20 sides; then says the result."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        return f"Here you go: {last['content']}."
    if "roll a d20" in str(last.get("content")) and "tools" in body:
        return [ToolCall("roll", {"sides": 20})]
    return "I cannot roll."


async def test_roll_a_d20_runs_the_readme_dice_plugins_roll(chat_bot, server) -> None:
    server.chat_handler = model
    async with chat_bot(plugins={"dice": readme_dice()}) as bot:
        reply = await bot.send("roll a d20 for me", mention=True, user=MEMBER)
    found = re.fullmatch(
        r"🔧 roll\(sides=20\) → member rolled (\d+)\n\nHere you go: member rolled (\d+)\.",
        reply.text,
    )
    assert found is not None, reply.text
    assert found.group(1) == found.group(2)
    assert 1 <= int(found.group(1)) <= 20
