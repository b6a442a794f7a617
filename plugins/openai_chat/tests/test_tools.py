"""The assistant calls tools: commands marked tool=True, run as the asker, through the gate."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import sent_messages

from botkit import Context, command, hookimpl
from botkit.testing import MEMBER
from botkit_testkit.openai_server import ToolCall

ROLLED: list[int] = []


async def roll(ctx: Context, sides: int = 6) -> str:
    """Roll a die."""
    ROLLED.append(sides)
    return "17"


async def wipe(ctx: Context, *, what: str) -> str:
    """Wipe something."""
    return f"wiped {what}"


class Dice:
    @hookimpl
    def botkit_commands(self):
        return [
            command(roll, tool=True, param_help={"sides": "faces of the die"}),
            command(wipe, confirm=True),
        ]


def model(*calls: ToolCall) -> Any:
    """A model that calls ``calls`` at once, then answers with what the tools said."""

    def answer(body: dict[str, Any]) -> Any:
        results = [m["content"] for m in body["messages"] if m["role"] == "tool"]
        last = body["messages"][-1]
        if last["role"] == "user" and "tools" in body:
            return list(calls)
        return "The tools said: " + ", ".join(results)

    return answer


@pytest.fixture(autouse=True)
def forget_rolls() -> None:
    ROLLED.clear()


def chats(server) -> list[dict[str, Any]]:
    return [r.json for r in server.requests if r.path == "/chat/completions"]


@pytest.mark.parametrize("stream", [False, True])
async def test_a_tool_call_is_run_and_shown_before_the_answer(chat_bot, server, stream) -> None:
    server.chat_handler = model(ToolCall("roll", {"sides": 20}, id="call_1"))
    async with chat_bot(stream=stream, plugins={"dice": Dice()}) as bot:
        reply = await bot.send("roll a d20", mention=True, user=MEMBER)
    assert reply.text == "🔧 roll(sides=20) → 17\n\nThe tools said: 17"
    assert ROLLED == [20]
    second = chats(server)[1]["messages"]
    assert second[-2]["tool_calls"][0]["function"] == {"name": "roll", "arguments": '{"sides": 20}'}
    assert second[-1] == {"role": "tool", "tool_call_id": "call_1", "content": "17"}


async def test_the_tools_are_sent_in_the_function_calling_format(chat_bot, server) -> None:
    async with chat_bot(plugins={"dice": Dice()}) as bot:
        await bot.send("hello", mention=True, user=MEMBER)
    tools = {t["function"]["name"]: t for t in chats(server)[0]["tools"]}
    assert tools["roll"] == {
        "type": "function",
        "function": {
            "name": "roll",
            "description": "Roll a die.",
            "parameters": {
                "type": "object",
                "properties": {"sides": {"type": "integer", "description": "faces of the die"}},
            },
        },
    }
    assert "plugins" not in tools  # an admin's command is not offered to a member


@pytest.mark.parametrize("stream", [False, True])
async def test_several_calls_in_one_step_all_run(chat_bot, server, stream) -> None:
    server.chat_handler = model(ToolCall("roll", {"sides": 4}), ToolCall("roll", '{"sides": 8}'))
    async with chat_bot(stream=stream, plugins={"dice": Dice()}) as bot:
        reply = await bot.send("roll two", mention=True, user=MEMBER)
    assert reply.text.splitlines()[:2] == ["🔧 roll(sides=4) → 17", "🔧 roll(sides=8) → 17"]
    assert ROLLED == [4, 8]


async def test_show_tools_off_hides_the_trace(chat_bot, server) -> None:
    server.chat_handler = model(ToolCall("roll", {"sides": 20}))
    async with chat_bot(show_tools=False, plugins={"dice": Dice()}) as bot:
        reply = await bot.send("roll", mention=True, user=MEMBER)
    assert reply.text == "The tools said: 17"


async def test_the_model_must_answer_after_max_tool_steps(chat_bot, server) -> None:
    def always(body: dict[str, Any]) -> Any:
        return [ToolCall("roll", {})] if "tools" in body else "enough"

    server.chat_handler = always
    async with chat_bot(max_tool_steps=2, plugins={"dice": Dice()}) as bot:
        reply = await bot.send("roll forever", mention=True, user=MEMBER)
    assert reply.text.endswith("enough")
    assert len(chats(server)) == 3
    assert ROLLED == [6, 6]


async def test_a_member_denied_by_a_rule_cannot_have_the_model_run_it(chat_bot, server) -> None:
    server.chat_handler = model(ToolCall("roll", {"sides": 20}))
    async with chat_bot(plugins={"dice": Dice()}) as bot:
        await bot.send("!rules add deny command roll role @everyone")
        reply = await bot.send("roll a d20", mention=True, user=MEMBER)
    assert ROLLED == []
    assert "roll" not in {t["function"]["name"] for t in chats(server)[0].get("tools", [])}
    assert reply.text.startswith("🔧 roll(sides=20) → Refused: ")


async def test_tool_calls_stay_in_memory_for_a_follow_up(chat_bot, server) -> None:
    server.chat_handler = model(ToolCall("roll", {"sides": 20}, id="call_9"))
    async with chat_bot(plugins={"dice": Dice()}) as bot:
        await bot.send("roll a d20", mention=True, user=MEMBER)
        server.chat_handler = lambda body: "it was 17"
        await bot.send("what did you roll?", mention=True, user=MEMBER)
    roles = [(m["role"], m.get("tool_call_id")) for m in sent_messages(server)[1:]]
    assert roles == [
        ("user", None),
        ("assistant", None),
        ("tool", "call_9"),
        ("assistant", None),
        ("user", None),
    ]


async def test_forgetme_removes_the_tool_calls_too(chat_bot, server) -> None:
    server.chat_handler = model(ToolCall("roll", {"sides": 20}))
    async with chat_bot(plugins={"dice": Dice()}) as bot:
        await bot.send("roll a d20", mention=True, user=MEMBER)
        await bot.send("!forgetme", user=MEMBER)
        await bot.send("!forgetme confirm", user=MEMBER)
        server.chat_handler = lambda body: "fresh"
        await bot.send("what did you roll?", mention=True, user=MEMBER)
    assert [m["role"] for m in sent_messages(server)] == ["system", "user"]


async def test_a_confirmed_tool_waits_for_the_askers_press(chat_bot, server) -> None:
    server.chat_handler = model(ToolCall("wipe", {"what": "the board"}))
    async with chat_bot(plugins={"dice": Dice()}) as bot:
        asked = asyncio.create_task(bot.send("wipe it", mention=True, user=MEMBER))
        proposal = await bot.buttons()
        refused = await bot.press(proposal.id, "run", user=bot.admin)
        await bot.press(proposal.id, "run", user=MEMBER)
        reply = await asked
    assert refused.text == "Only member can answer this."
    assert reply[-1].text == (
        '🔧 wipe(what="the board") → wiped the board\n\nThe tools said: wiped the board'
    )


async def test_no_approval_in_time_is_told_to_the_model(chat_bot, server, clock) -> None:
    server.chat_handler = model(ToolCall("wipe", {"what": "x"}))
    async with chat_bot(approval_timeout=30, plugins={"dice": Dice()}) as bot:
        asked = asyncio.create_task(bot.send("wipe it", mention=True, user=MEMBER))
        await bot.buttons()
        clock.advance(31)
        reply = await asked
    assert reply[-1].text == (
        '🔧 wipe(what="x") → Not run: member did not approve it within 30 seconds.\n\n'
        "The tools said: Not run: member did not approve it within 30 seconds."
    )


def test_the_documented_settings_are_the_defaults() -> None:
    import re
    import tomllib
    from pathlib import Path

    from botkit_openai_chat.settings import ChatSettings

    doc = (Path(__file__).parents[3] / "docs" / "tools.md").read_text(encoding="utf-8")
    section = tomllib.loads(re.search(r"```toml\n(.*?)```", doc, flags=re.S).group(1))
    documented = section["openai_chat"]
    assert {k: getattr(ChatSettings(), k) for k in documented} == documented


@pytest.mark.parametrize("stream", [False, True])
async def test_an_approval_after_the_hook_timeout_still_runs_the_tool(
    chat_bot, server, stream
) -> None:
    server.chat_handler = model(ToolCall("wipe", {"what": "the board"}))
    hook_timeout = 0.5
    async with chat_bot(
        stream=stream, plugins={"dice": Dice()}, config={"bot": {"hook_timeout": hook_timeout}}
    ) as bot:
        asked = asyncio.create_task(bot.send("wipe it", mention=True, user=MEMBER))
        proposal = await bot.buttons()
        await asyncio.sleep(2 * hook_timeout)  # the asker takes longer than the hook may
        await bot.press(proposal.id, "run", user=MEMBER)
        reply = await asked
    assert reply[-1].text == (
        '🔧 wipe(what="the board") → wiped the board\n\nThe tools said: wiped the board'
    )


async def test_a_press_after_the_approval_timeout_is_a_refusal_the_model_reads(
    chat_bot, server, clock
) -> None:
    server.chat_handler = model(ToolCall("wipe", {"what": "x"}))
    async with chat_bot(plugins={"dice": Dice()}, config={"bot": {"hook_timeout": 0.5}}) as bot:
        asked = asyncio.create_task(bot.send("wipe it", mention=True, user=MEMBER))
        proposal = await bot.buttons()
        clock.advance(121)  # the default approval_timeout is 120 s
        reply = await asked
        await bot.press(proposal.id, "run", user=MEMBER)
    told = [m["content"] for m in chats(server)[-1]["messages"] if m["role"] == "tool"]
    assert told == ["Not run: member did not approve it within 120 seconds."]
    assert "wiped" not in reply[-1].text
