"""Reading and writing the plugin's tables; every write is one short transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs
from sqlalchemy import Select, delete, func, insert, or_, select, update

from botkit.util import clean_text as clean
from botkit_feedback.records import Correction, Forgotten, Note, Rating
from botkit_feedback.tables import corrections, notes, ratings

if TYPE_CHECKING:
    from botkit import Storage

__all__ = ["Correction", "Forgotten", "Note", "Rating"]

APPROVED, REJECTED = "approved", "rejected"


async def add_correction(storage: Storage, correction: Correction) -> int:
    """Store a correction; return its id."""
    values = attrs.asdict(correction, filter=lambda a, _: a.name != "id")
    async with storage.session.begin() as session:
        result = await session.execute(insert(corrections).values(**values))
    return int(result.inserted_primary_key[0])


async def latest_corrections(storage: Storage, guild_id: str, limit: int) -> list[Correction]:
    """The newest ``limit`` corrections of a guild, newest first."""
    query = (
        select(corrections)
        .where(corrections.c.guild_id == guild_id)
        .order_by(corrections.c.id.desc())
        .limit(limit)
    )
    return await _corrections(storage, query)


async def guild_corrections(
    storage: Storage, guild_id: str, approved_only: bool = False
) -> list[Correction]:
    """The corrections of a guild that may be exported, oldest first: never rejected ones;
    with ``approved_only``, only those approved."""
    wanted = (
        corrections.c.review == APPROVED
        if approved_only
        else or_(corrections.c.review.is_(None), corrections.c.review != REJECTED)
    )
    query = (
        select(corrections)
        .where(corrections.c.guild_id == guild_id, wanted)
        .order_by(corrections.c.id)
    )
    return await _corrections(storage, query)


async def reviewed_corrections(
    storage: Storage, guild_id: str, review: str | None, limit: int
) -> list[Correction]:
    """The newest ``limit`` corrections of a guild in state ``review`` (None: awaiting)."""
    state = corrections.c.review.is_(None) if review is None else corrections.c.review == review
    query = (
        select(corrections)
        .where(corrections.c.guild_id == guild_id, state)
        .order_by(corrections.c.id.desc())
        .limit(limit)
    )
    return await _corrections(storage, query)


async def review_counts(storage: Storage, guild_id: str) -> dict[str | None, int]:
    """How many corrections of a guild await review, are approved, are rejected."""
    query = (
        select(corrections.c.review, func.count())
        .where(corrections.c.guild_id == guild_id)
        .group_by(corrections.c.review)
    )
    async with storage.session() as session:
        return {review: int(n) for review, n in (await session.execute(query)).all()}


async def set_review(
    storage: Storage,
    guild_id: str,
    correction_id: int,
    review: str | None,
    by: str,
    text: str = "",
) -> bool:
    """Approve or reject a correction of this guild (``review`` None: leave its state), with
    ``text`` its new wording; False when there is no such correction here."""
    values: dict[str, str] = {"reviewed_by": by}
    if review is not None:
        values["review"] = review
    if text:
        values["correction"] = clean(text)
    async with storage.session.begin() as session:
        result = await session.execute(
            update(corrections)
            .where(corrections.c.id == correction_id, corrections.c.guild_id == guild_id)
            .values(**values)
        )
    return bool(result.rowcount)


async def latest_notes(storage: Storage, guild_id: str, limit: int) -> list[Note]:
    """The newest ``limit`` feedback notes of a guild, newest first."""
    query = (
        select(notes).where(notes.c.guild_id == guild_id).order_by(notes.c.id.desc()).limit(limit)
    )
    async with storage.session() as session:
        rows = (await session.execute(query)).mappings().all()
    return [
        Note(
            **{**{k: v for k, v in row.items() if k != "id"}, "created_at": _utc(row["created_at"])}
        )
        for row in rows
    ]


async def _corrections(storage: Storage, query: Select) -> list[Correction]:
    async with storage.session() as session:
        rows = (await session.execute(query)).mappings().all()
    return [Correction(**{**row, "created_at": _utc(row["created_at"])}) for row in rows]


async def add_note(storage: Storage, note: Note) -> int:
    """Store a feedback note; return its id."""
    async with storage.session.begin() as session:
        result = await session.execute(insert(notes).values(**attrs.asdict(note)))
    return int(result.inserted_primary_key[0])


async def set_rating(storage: Storage, rating: Rating) -> None:
    """Record a rating, replacing the same user's earlier rating of that message."""
    stmt = storage.insert(ratings).values(**attrs.asdict(rating))
    stmt = stmt.on_conflict_do_update(
        index_elements=["channel_id", "message_id", "user_id"],
        set_={"value": stmt.excluded.value, "created_at": stmt.excluded.created_at},
    )
    async with storage.session.begin() as session:
        await session.execute(stmt)


async def remove_rating(
    storage: Storage, channel_id: str, message_id: str, user_id: str, value: int
) -> bool:
    """Remove a user's rating of a message if it is ``value``; True when one went."""
    stmt = delete(ratings).where(
        ratings.c.channel_id == channel_id,
        ratings.c.message_id == message_id,
        ratings.c.user_id == user_id,
        ratings.c.value == value,
    )
    async with storage.session.begin() as session:
        result = await session.execute(stmt)
    return result.rowcount > 0


async def rating_totals(storage: Storage, guild_id: str) -> tuple[int, int]:
    """(👍 count, 👎 count) of a guild."""
    query = (
        select(ratings.c.value, func.count())
        .where(ratings.c.guild_id == guild_id)
        .group_by(ratings.c.value)
    )
    async with storage.session() as session:
        counts = {value: n for value, n in await session.execute(query)}
    return counts.get(1, 0), counts.get(-1, 0)


async def forget_user(storage: Storage, user_id: str) -> Forgotten:
    """Delete a user's corrections, notes and ratings, and take what they wrote out of other
    users' rows (the question a correction's reply answered, the message a note replied to),
    in one transaction."""
    async with storage.session.begin() as session:
        done = [
            (await session.execute(delete(table).where(column == user_id))).rowcount
            for table, column in (
                (corrections, corrections.c.author_id),
                (notes, notes.c.author_id),
                (ratings, ratings.c.user_id),
            )
        ]
        quoted = [
            (await session.execute(statement)).rowcount
            for statement in (
                update(corrections)
                .where(corrections.c.asker_id == user_id)
                .values(asker_id=None, user_text=None, user_message_id=None),
                update(notes)
                .where(notes.c.replied_to_author_id == user_id)
                .values(replied_to_author_id=None, replied_to_text=None, replied_to_id=None),
            )
        ]
    return Forgotten(*done, quoted=sum(quoted))


async def count_user(storage: Storage, user_id: str) -> dict[str, int]:
    """What is stored about a user: their rows, and other users' rows quoting them."""
    queries = {
        "corrections": select(func.count()).where(corrections.c.author_id == user_id),
        "feedback notes": select(func.count()).where(notes.c.author_id == user_id),
        "ratings": select(func.count()).where(ratings.c.user_id == user_id),
        "corrections of answers to you": select(func.count()).where(
            corrections.c.asker_id == user_id
        ),
        "feedback notes quoting you": select(func.count()).where(
            notes.c.replied_to_author_id == user_id
        ),
    }
    async with storage.session() as session:
        return {kind: (await session.execute(q)).scalar_one() for kind, q in queries.items()}


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
