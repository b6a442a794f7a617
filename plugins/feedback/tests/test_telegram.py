"""Through the real Telegram adapter: 👍/👎 buttons under each answer rate it."""

from __future__ import annotations

from typing import Any

from conftest import ANSWER, QUESTION


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
