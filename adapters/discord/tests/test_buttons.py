"""Buttons as message components: sent under the bot's message, clicks become presses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from botkit import Button, Context, Press, Reply, command, hookimpl

WIPED: list[str] = []


async def wipe(ctx: Context, *, what: str) -> str:
    """Wipe something."""
    WIPED.append(what)
    return f"wiped {what}"


async def ask(ctx: Context) -> Reply:
    """A question with two buttons."""
    return Reply(text="Pick one", buttons=(Button("a", "🅰️ A"), Button("b", "B")))


class Tools:
    """A confirmed command, and a stand-in model that calls it: "call wipe <what>"."""

    def __init__(self) -> None:
        self.presses: list[Press] = []

    @hookimpl
    def botkit_commands(self) -> list[Any]:
        return [command(wipe, confirm=True), command(ask)]

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        what = text.split("call wipe ", 1)[-1]
        result = await ctx.run_tool("wipe", {"what": what}, approval_timeout=60)
        return result.line

    @hookimpl
    def botkit_press(self, ctx: Context, press: Press) -> None:
        self.presses.append(press)


async def _posted(dh: Any, found: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The bot's first message that ``found`` accepts, once it is there (while a handler
    still waits for an answer, so the harness cannot settle)."""
    async with asyncio.timeout(10):
        while True:
            for message in list(dh.fake.messages.values()):
                if message["author"]["id"] == str(dh.bot_user.id) and found(message):
                    return message
            await asyncio.sleep(0.01)


async def _proposal(dh: Any) -> dict[str, Any]:
    return await _posted(dh, lambda m: bool(m["components"]))


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message["components"] for c in row["components"]]


async def test_buttons_are_sent_as_an_action_row(discord_harness):
    async with discord_harness(plugins={"tools": Tools()}) as dh:
        sent = await dh.message("!ask", author=dh.member)
    (row,) = sent[0].json["components"]
    assert [(b["custom_id"], b["label"], b["type"]) for b in row["components"]] == [
        ("a", "🅰️ A", 2),
        ("b", "B", 2),
    ]
    assert sent[0].json["content"] == "Pick one"


async def test_a_click_is_acknowledged_and_reaches_the_press_hook(discord_harness):
    tools = Tools()
    async with discord_harness(plugins={"tools": tools}) as dh:
        sent = await dh.message("!ask", author=dh.member)
        answer = await dh.press(sent[0].id, "b", author=dh.admin)
    (callback,) = [r for r in answer.requests if r.route.endswith("/callback")]
    assert callback.json["type"] == 6
    (press,) = tools.presses
    assert (press.message_id, press.button, press.user.name) == (str(sent[0].id), "b", "Admin")
    assert press.user.is_admin and not press.user.is_owner
    assert press.channel.id == str(dh.channel)


async def test_an_approval_by_press_runs_the_tool(discord_harness):
    WIPED.clear()
    async with discord_harness(plugins={"tools": Tools()}) as dh:
        asked = asyncio.create_task(
            dh.message("call wipe the board", author=dh.member, mention=True)
        )
        proposal = await _proposal(dh)
        answer = await dh.press(proposal["id"], "run", author=dh.member)
        await asked
    assert WIPED == ["the board"]
    assert '🔧 wipe(what="the board") → wiped the board' in answer.text
    assert all(b["disabled"] for b in _buttons(dh.fake.messages[int(proposal["id"])]))


async def test_a_strangers_press_is_refused(discord_harness):
    WIPED.clear()
    async with discord_harness(plugins={"tools": Tools()}) as dh:
        asked = asyncio.create_task(dh.message("call wipe x", author=dh.member, mention=True))
        proposal = await _proposal(dh)
        event, data = dh.fake.component_event(proposal["id"], "run", author=dh.admin)
        dh.fake.dispatch(event, data, dh.guild)
        told = await _posted(dh, lambda m: m["content"].startswith("Only"))
        buttons_after_stranger = _buttons(dh.fake.messages[int(proposal["id"])])
        await dh.press(proposal["id"], "cancel", author=dh.member)
        await asked
    assert told["content"] == "Only Member can answer this."
    assert not any(b.get("disabled") for b in buttons_after_stranger)
    assert WIPED == []
