"""The feedback plugin: its hooks, wired to the commands, the tables and the dataset builder.

This module is what the entry point imports, so it stays light: SQLAlchemy and the tables
are imported when the bot starts or a hook runs, not when the plugin is merely listed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from botkit import Command, Context, PluginHandle, Press, Reaction, hookimpl
from botkit_feedback.commands import FeedbackCommands
from botkit_feedback.dataset import Record, training_examples
from botkit_feedback.records import Rating
from botkit_feedback.settings import FeedbackSettings

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from botkit.web import WebPage

log = logging.getLogger("botkit.feedback")

MIGRATIONS = Path(__file__).parent / "migrations"
THUMBS = {"👍": 1, "👎": -1}
SKIN_TONES = range(0x1F3FB, 0x1F400)
VARIATION_SELECTOR = "\ufe0f"


def rating_value(emoji: str) -> int | None:
    """+1 for 👍, -1 for 👎 (any skin tone), None for every other emoji."""
    base = "".join(c for c in emoji if c != VARIATION_SELECTOR and ord(c) not in SKIN_TONES)
    return THUMBS.get(base)


@attrs.frozen
class FeedbackPlugin:
    """Corrections, feedback and ratings; ``now`` is the wall clock (seconds since the epoch;
    default: the host's, which tests inject)."""

    now: Callable[[], float] | None = None

    @hookimpl
    def botkit_commands(self) -> list[Command]:
        return FeedbackCommands(self.now).all()

    @hookimpl
    def botkit_settings(self) -> type:
        return FeedbackSettings

    @hookimpl
    def botkit_tables(self) -> MetaData:
        from botkit_feedback.tables import metadata

        return metadata

    @hookimpl
    def botkit_migrations(self) -> Path:
        return MIGRATIONS

    @hookimpl
    def botkit_web_pages(self) -> list[WebPage]:
        """Corrections to review, feedback notes and exports on the web console."""
        from botkit_feedback.web import pages

        return pages()

    @hookimpl
    async def botkit_reaction(self, ctx: Context, reaction: Reaction) -> None:
        """👍/👎 on the bot's replies become ratings; removing the reaction removes it."""
        from botkit_feedback import store

        value = rating_value(reaction.emoji)
        if value is None:
            return
        channel, user, storage = reaction.channel, reaction.user, ctx.plugin.storage
        if reaction.added:
            rating = Rating(
                guild_id=reaction.space,
                channel_id=channel.id,
                message_id=reaction.message_id,
                user_id=user.id,
                value=value,
                created_at=datetime.fromtimestamp((self.now or ctx.plugin.now)(), UTC),
            )
            await store.set_rating(storage, rating)
        else:
            await store.remove_rating(storage, channel.id, reaction.message_id, user.id, value)
        log.info(
            "rating %+d of message %s by user %s %s",
            value,
            reaction.message_id,
            user.id,
            "added" if reaction.added else "removed",
        )

    @hookimpl
    async def botkit_press(self, ctx: Context, press: Press) -> None:
        """👍/👎 buttons under an answer (Telegram puts them there) rate it; pressing the
        other one changes the rating."""
        from botkit_feedback import store

        value = rating_value(press.button)
        if value is None:
            return
        rating = Rating(
            guild_id=press.space,
            channel_id=press.channel.id,
            message_id=press.message_id,
            user_id=press.user.id,
            value=value,
            created_at=datetime.fromtimestamp((self.now or ctx.plugin.now)(), UTC),
        )
        await store.set_rating(ctx.plugin.storage, rating)
        log.info(
            "rating %+d of message %s by user %s pressed", value, press.message_id, press.user.id
        )

    @hookimpl
    async def botkit_training_examples(
        self, plugin: PluginHandle, guild_id: str | None
    ) -> list[Record]:
        """This space's corrections as SFT and DPO records (feedback notes never are), each
        naming everyone whose words it holds (``user_ids``: the corrector and the asker)."""
        from botkit_feedback import store

        settings = plugin.settings_for(guild_id) or FeedbackSettings()
        rows = await store.guild_corrections(plugin.storage, guild_id or "", settings.review_first)
        return training_examples(rows, settings.system_prompt)

    @hookimpl
    async def botkit_user_data(self, plugin: PluginHandle, user_id: str) -> dict[str, int]:
        """How many of the user's corrections, notes and ratings are stored, and how many of
        other users' rows quote them."""
        from botkit_feedback import store

        return await store.count_user(plugin.storage, user_id)

    @hookimpl
    async def botkit_delete_user_data(self, plugin: PluginHandle, user_id: str) -> int:
        """Delete the user's corrections, feedback notes and ratings, and what they wrote from
        other users' rows; return how many rows were deleted."""
        from botkit_feedback import store

        forgotten = await store.forget_user(plugin.storage, user_id)
        log.info("forgot user %s: %s", user_id, forgotten)
        return forgotten.total
