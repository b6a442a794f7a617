"""Buttons under the bot's messages as inline keyboards, and the 👍/👎 under its answers.

A botkit ``Button`` becomes an inline keyboard button whose ``callback_data`` is the button's
id; a press arrives as a ``callback_query`` update. Answers (the replies the host marks as
its answer pipeline's, ``Reply.answer``; never a refusal or a command's reply) carry 👍 and 👎
buttons when ``[telegram] rating_buttons`` is on, for the feedback plugin: their ids are the
emoji themselves, as with reactions elsewhere.
"""

from __future__ import annotations

from aiogram import types

from botkit.adapter import Button

ROW_SIZE = 4
DATA_LIMIT = 64  # bytes of callback_data Telegram accepts
RATINGS = (Button("👍", "👍"), Button("👎", "👎"))


def keyboard(buttons: tuple[Button, ...]) -> types.InlineKeyboardMarkup:
    """``buttons`` in rows of four; an id over Telegram's 64 bytes is refused here, clearly."""
    for button in buttons:
        if len(button.id.encode()) > DATA_LIMIT:
            raise ValueError(f"button id {button.id!r} is over Telegram's {DATA_LIMIT} bytes")
    rows = [buttons[i : i + ROW_SIZE] for i in range(0, len(buttons), ROW_SIZE)]
    return types.InlineKeyboardMarkup(
        inline_keyboard=[
            [types.InlineKeyboardButton(text=b.label, callback_data=b.id) for b in row]
            for row in rows
        ]
    )


NONE = types.InlineKeyboardMarkup(inline_keyboard=[])
