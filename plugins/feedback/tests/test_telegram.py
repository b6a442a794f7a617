"""Through the real Telegram adapter: 👍/👎 buttons under each answer rate it."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import ANSWER, QUESTION

from botkit import Context, command, hookimpl


async def asked(tg: Any) -> dict[str, Any]:
    """A user asks in a private chat; the bot's answer as Telegram shows it."""
    (answer,) = (await tg.send(QUESTION, user=tg.member)).messages()
    assert answer["text"] == ANSWER
    return answer


def rows(found: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(r["message_id"], r["user_id"], r["value"]) for r in found]


async def test_pressing_thumbs_up_under_an_answer_rates_it(feedback_telegram, stored):
    async with feedback_telegram() as tg:
        answer = await asked(tg)
        pressed = await tg.press(answer, "👍", user=tg.member)
        found = await stored(tg, "feedback_ratings")
    chat = answer["chat"]["id"]
    assert rows(found) == [(f"{chat}:{answer['message_id']}", str(tg.member["id"]), 1)]
    assert found[0]["guild_id"] == f"dm:{tg.member['id']}"
    assert len(pressed.of("answerCallbackQuery")) == 1


async def test_pressing_the_other_thumb_changes_the_rating(feedback_telegram, stored):
    async with feedback_telegram() as tg:
        answer = await asked(tg)
        await tg.press(answer, "👍", user=tg.member)
        await tg.press(answer, "👎", user=tg.member)
        found = await stored(tg, "feedback_ratings")
    assert [r["value"] for r in found] == [-1]


RATINGS = [("👍", "👍"), ("👎", "👎")]


def keyboard(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def wipe(ctx: Context, *, what: str) -> str:
    """Wipe something."""
    return f"wiped {what}"


class Wiper:
    """A confirmed tool, and a stand-in model that calls it ("wipe <what>")."""

    @hookimpl
    def botkit_commands(self) -> list[Any]:
        return [command(wipe, confirm=True)]

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        result = await ctx.run_tool("wipe", {"what": text.split(" ", 1)[-1]})
        return f"{result.line}\n\nDone."


async def proposal(tg: Any) -> dict[str, Any]:
    """The bot's message with Run/Cancel buttons, once it is there."""
    async with asyncio.timeout(10):
        while True:
            for message in tg.fake.sent_messages():
                if ("✅ Run", "run") in keyboard(message):
                    return message
            await asyncio.sleep(0.01)


async def test_a_tool_proposal_carries_no_rating_buttons_and_its_answer_does(feedback_telegram):
    async with feedback_telegram(plugins={"chat": Wiper()}) as tg:
        asked = asyncio.create_task(tg.send("wipe the board", user=tg.member))
        question = await proposal(tg)
        offered = keyboard(question)
        await tg.press(question, "run", user=tg.member)
        answer = (await asked).messages()[-1]
    assert offered == [("✅ Run", "run"), ("❌ Cancel", "cancel")]
    assert answer["text"] == '🔧 wipe(what="the board") → wiped the board\n\nDone.'
    assert keyboard(answer) == RATINGS


async def test_a_command_reply_carries_no_rating_buttons(feedback_telegram):
    async with feedback_telegram() as tg:
        (reply,) = (await tg.send("/feedback the answers are wrong", user=tg.member)).messages()
    assert reply["text"]
    assert keyboard(reply) == []
