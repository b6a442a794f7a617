"""docs/tools.md: its plugin example runs, and its commands give the listing it shows."""

from __future__ import annotations

import re
import types
from pathlib import Path

from botkit import Message

DOC = (Path(__file__).parent.parent / "docs" / "tools.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


def example_plugin() -> types.ModuleType:
    module = types.ModuleType("botkit_dice")
    exec(compile(blocks("python")[0], "docs/tools.md", "exec"), module.__dict__)
    return module


async def test_the_documented_commands_give_the_documented_listing(botkit_harness) -> None:
    commands, listing = blocks("text")[:2]
    async with botkit_harness({"dice": example_plugin()}) as bot:
        for line in commands.splitlines()[1:]:
            await bot.send(line, user=bot.admin)
        shown = await bot.send(commands.splitlines()[0], user=bot.admin)
    assert shown.text == listing.strip()


async def test_the_documented_tools_run(botkit_harness) -> None:
    async with botkit_harness({"dice": example_plugin()}) as bot:
        ctx = bot.bot.context(Message("1", "", bot.member, bot.channel))  # a member asks
        rolled = await ctx.run_tool("roll", '{"sides": 1}')
        moon = await ctx.run_tool("moon", {})
    assert rolled.line == "🔧 roll(sides=1) → 1"
    assert moon.text == "waxing gibbous"
