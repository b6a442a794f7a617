"""Buttons under the bot's messages: sending them on any adapter, and what a press does.

An adapter that has buttons implements ``send_buttons(channel, text, files, buttons,
reply_to) -> Sent`` (the console prints them and takes a typed line) and hands presses to
``Host.handle_press``. On one without, the labels are written under the text. Once a question
is answered, ``clear`` disables its buttons where the adapter can (``clear_buttons(channel,
message_id)``).
"""

from __future__ import annotations

from typing import Any

from botkit.models import Button, Channel, File, Sent


async def send(
    adapter: Any,
    channel: Channel,
    text: str,
    files: tuple[File, ...],
    buttons: tuple[Button, ...],
    reply_to: str | None,
) -> Sent:
    """Send one message with ``buttons`` under it, as well as the adapter can."""
    send_buttons = getattr(adapter, "send_buttons", None)
    if send_buttons is not None:
        return await send_buttons(channel, text, files, buttons, reply_to)
    labels = " ".join(f"[{b.label}]" for b in buttons)
    return await adapter.send(channel, f"{text}\n{labels}".strip(), files, reply_to)


async def clear(adapter: Any, channel: Channel, message_id: str) -> None:
    """Disable or remove the buttons under ``message_id`` (an answered question), where the
    adapter can edit them; elsewhere they stay and a late press is simply not taken."""
    clear_buttons = getattr(adapter, "clear_buttons", None)
    if clear_buttons is not None:
        await clear_buttons(channel, message_id)
