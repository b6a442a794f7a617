"""Buttons under the bot's messages as Discord message components.

A botkit ``Button`` becomes a button in an action row whose ``custom_id`` is the button's id.
A click arrives as a component interaction (INTERACTION_CREATE type 3); the adapter
acknowledges it at once with a deferred update (type 6) and hands it on as a ``Press``.
"""

from __future__ import annotations

import discord

from botkit.adapter import Button

ROW_SIZE = 5  # Discord puts at most five buttons in one action row
LABEL_LIMIT = 80


def view(buttons: tuple[Button, ...], *, disabled: bool = False) -> discord.ui.View:
    """A view holding ``buttons`` (already stopped: discord.py keeps no callbacks for it, the
    adapter's ``on_interaction`` takes the clicks)."""
    holder = discord.ui.View(timeout=None)
    for i, button in enumerate(buttons):
        holder.add_item(
            discord.ui.Button(
                label=button.label[:LABEL_LIMIT],
                custom_id=button.id,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                row=i // ROW_SIZE,
            )
        )
    holder.stop()
    return holder


def custom_id(interaction: discord.Interaction) -> str | None:
    """The clicked button's id, or None when the interaction is not a button click."""
    if interaction.type is not discord.InteractionType.component:
        return None
    data = interaction.data or {}
    if data.get("component_type") != discord.ComponentType.button.value:
        return None
    value = data.get("custom_id")
    return value if isinstance(value, str) else None
