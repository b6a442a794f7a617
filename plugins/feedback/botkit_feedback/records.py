"""The rows the plugin stores, as plain attrs classes (no database code here)."""

from __future__ import annotations

from datetime import datetime

import attrs

from botkit.util import clean_text as clean


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean(text)


def text_field() -> str:
    """A text field, cleaned on the way in."""
    return attrs.field(converter=clean)


def optional_text_field() -> str | None:
    return attrs.field(converter=clean_optional)


@attrs.frozen
class Correction:
    """A user's correction of one of the bot's replies."""

    guild_id: str
    channel_id: str
    author_id: str
    author_name: str = text_field()
    bot_message_id: str
    bot_text: str = text_field()
    user_message_id: str | None
    user_text: str | None = optional_text_field()
    correction: str = text_field()
    created_at: datetime
    id: int = 0
    asker_id: str | None = None  # who asked what the bot's reply answered, when known
    review: str | None = None  # None while awaiting review, then "approved" or "rejected"
    reviewed_by: str | None = None


@attrs.frozen
class Note:
    """A ``!feedback`` message: stored for people to read, never a training example."""

    guild_id: str
    channel_id: str
    author_id: str
    author_name: str = text_field()
    text: str = text_field()
    replied_to_id: str | None
    replied_to_text: str | None = optional_text_field()
    created_at: datetime
    replied_to_author_id: str | None = None


@attrs.frozen
class Rating:
    """A 👍 (+1) or 👎 (-1) on one of the bot's replies; one per user and message."""

    guild_id: str
    channel_id: str
    message_id: str
    user_id: str
    value: int
    created_at: datetime


@attrs.frozen
class Forgotten:
    """How many rows of each kind were deleted for a user."""

    corrections: int
    notes: int
    ratings: int
    quoted: int = 0  # other users' corrections and notes that no longer quote the user

    @property
    def total(self) -> int:
        """Rows deleted (quotes removed from other users' rows are not counted)."""
        return self.corrections + self.notes + self.ratings
