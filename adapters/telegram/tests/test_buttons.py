"""Inline keyboards: buttons under the bot's messages, presses as callback queries."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import EchoChat, Streaming

from botkit import Button, CommandError, Context, Press, Reply, command, hookimpl

WIPED: list[str] = []


async def wipe(ctx: Context, *, what: str) -> str:
    """Wipe something."""
    WIPED.append(what)
    return f"wiped {what}"


class Buttons:
    """``/ask`` answers with two buttons; every press is kept."""

    def __init__(self) -> None:
        self.presses: list[Press] = []

    @hookimpl
    def botkit_commands(self) -> list[Any]:
        async def ask(ctx: Context) -> Reply:
            """A question with buttons."""
            return Reply(text="Pick one", buttons=(Button("a", "🅰️ A"), Button("b", "B")))

        return [command(ask), command(wipe, confirm=True)]

    @hookimpl
    def botkit_press(self, ctx: Context, press: Press) -> None:
        self.presses.append(press)


class Assistant:
    """A stand-in model that calls the confirmed ``wipe``: "call wipe <what>"."""

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        what = text.split("call wipe ", 1)[-1]
        result = await ctx.run_tool("wipe", {"what": what}, approval_timeout=60)
        return result.line


def _keyboard(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_buttons_go_as_an_inline_keyboard(telegram_harness):
    async with telegram_harness(plugins={"buttons": Buttons()}) as tg:
        (sent,) = (await tg.send("/ask")).messages()
    assert sent["text"] == "Pick one"
    assert _keyboard(sent) == [("🅰️ A", "a"), ("B", "b")]


async def test_a_press_is_answered_and_reaches_the_press_hook(telegram_harness):
    plugin = Buttons()
    async with telegram_harness(plugins={"buttons": plugin}) as tg:
        (sent,) = (await tg.send("/ask", chat=tg.group, user=tg.admin)).messages()
        pressed = await tg.press(sent, "b", user=tg.admin)
        answered = dict(tg.fake.callback_queries)
    assert len(pressed.of("answerCallbackQuery")) == 1
    assert list(answered.values()) == [True]
    (press,) = plugin.presses
    assert press.message_id == f"{tg.group['id']}:{sent['message_id']}"
    assert (press.button, press.user.name, press.user.is_admin) == ("b", "Ada", True)
    assert press.channel.id == str(tg.group["id"])


async def test_answers_carry_rating_buttons(telegram_harness):
    async with telegram_harness(plugins={"chat": EchoChat()}) as tg:
        (sent,) = (await tg.send("hello")).messages()
    assert _keyboard(sent) == [("👍", "👍"), ("👎", "👎")]


class RateLimited:
    """A chat plugin that refuses every question, as a rate limit does."""

    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        raise CommandError("You are asking too fast; wait a minute.")


async def test_a_refusal_in_place_of_an_answer_carries_no_rating_buttons(telegram_harness):
    async with telegram_harness(plugins={"chat": RateLimited()}) as tg:
        (sent,) = (await tg.send("hello")).messages()
    assert sent["text"] == "You are asking too fast; wait a minute."
    assert "reply_markup" not in sent


async def test_command_replies_carry_no_rating_buttons(telegram_harness):
    async with telegram_harness(plugins={"chat": EchoChat()}) as tg:
        (sent,) = (await tg.send("/hi")).messages()
    assert "reply_markup" not in sent


async def test_rating_buttons_can_be_turned_off(telegram_harness):
    config = {"telegram": {"rating_buttons": False}}
    async with telegram_harness(plugins={"chat": EchoChat()}, config=config) as tg:
        (sent,) = (await tg.send("hello")).messages()
    assert "reply_markup" not in sent


async def test_a_streamed_answer_keeps_its_rating_buttons_through_edits(telegram_harness):
    stream = Streaming(["The answer ", "is ", "forty-two."])
    async with telegram_harness(plugins={"chat": stream}) as tg:
        replies = await tg.send("@botkit_test_bot what is it?", chat=tg.group, user=tg.member)
        (sent,) = replies.messages()
    assert replies.of("editMessageText")
    assert sent["text"] == "The answer is forty-two."
    assert _keyboard(sent) == [("👍", "👍"), ("👎", "👎")]


async def _proposal(tg: Any) -> dict[str, Any]:
    """The bot's message with Run/Cancel buttons, once it is there (the asker's message is
    still being handled, so the harness cannot settle yet)."""
    async with asyncio.timeout(10):
        while True:
            for message in tg.fake.sent_messages():
                if ("✅ Run", "run") in _keyboard(message):
                    return message
            await asyncio.sleep(0.01)


async def test_an_approval_by_press_runs_the_tool_and_removes_the_buttons(telegram_harness):
    WIPED.clear()
    plugins = {"buttons": Buttons(), "assistant": Assistant()}
    async with telegram_harness(plugins=plugins) as tg:
        asked = asyncio.create_task(tg.send("call wipe the board"))
        proposal = await _proposal(tg)
        await tg.press(proposal, "run")
        answer = await asked
        shown = tg.fake.messages[(proposal["chat"]["id"], proposal["message_id"])]
    assert WIPED == ["the board"]
    assert '🔧 wipe(what="the board") → wiped the board' in answer.text
    assert "reply_markup" not in shown
