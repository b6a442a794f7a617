"""The plugin's tables and every query on them: conversation turns and token usage.

Both are kept per space (``ctx.space``): a server's id, or ``dm:<user id>`` for one person's
direct messages, so nothing stored in one person's DMs is found from anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.sql.dml import Delete, Insert
from sqlalchemy.sql.elements import ColumnElement

if TYPE_CHECKING:
    from botkit import Storage

metadata = MetaData()

turns = Table(
    "openai_chat_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation", String(120), nullable=False),
    Column("role", String(16), nullable=False),  # user, assistant or tools (a round of calls)
    Column("content", Text, nullable=False),
    Column("user_id", String(32), nullable=False),  # who asked (the answer carries it too)
    Column("message_id", String(32)),  # the user's message, so a reply to the answer finds it
    Column("created_at", Float, nullable=False),
    # Where it was said: the space ("" for turns stored before 0.3 outside DMs) and channel.
    Column("space", String(64), nullable=False, default="", server_default=""),
    Column("channel_id", String(64)),
    Index("ix_openai_chat_turns_conversation", "conversation", "id"),
    Index("ix_openai_chat_turns_message", "message_id"),
)

usage = Table(
    "openai_chat_usage",
    metadata,
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("guild_id", String(32), primary_key=True),  # the space; "dm" for rolled-up DMs
    Column("user_id", String(32), primary_key=True),
    Column("tokens", Integer, nullable=False),
)

# The system prompt of one channel or thread (``!system`` there); the space's is the fallback.
personas = Table(
    "openai_chat_personas",
    metadata,
    Column("space", String(64), primary_key=True),
    Column("channel_id", String(64), primary_key=True),
    Column("prompt", Text, nullable=False),
    Column("set_at", Float, nullable=False),
)

DM_PREFIX = "dm:"  # the spaces of direct messages: dm:<user id>
DM_TOTALS = "dm"  # old direct-message usage, rolled up without anyone's id


def dm_space(user_id: str) -> str:
    """The space of one person's direct messages."""
    return f"{DM_PREFIX}{user_id}"


@attrs.frozen
class Turn:
    """One message of a conversation, and the user whose question it is or answers."""

    role: str
    content: str
    user_id: str = ""


@attrs.frozen
class Exchange:
    """A question and its answer, ready to be stored with the tokens they cost."""

    conversation: str
    question: str
    answer: str
    user_id: str
    message_id: str
    space: str
    channel_id: str
    day: str
    tokens: int
    at: float
    seed: tuple[Turn, ...] = ()  # earlier turns a new conversation starts from
    ephemeral: bool = False  # a conversation of its own: only the tokens are counted
    tools: tuple[str, ...] = ()  # rounds of tool calls between question and answer (JSON each)


async def conversation_of(storage: Storage, space: str, message_id: str) -> tuple[str, int] | None:
    """The conversation a user message of ``space`` (and so the bot's answer to it) belongs
    to, and the id of that message's turn; never one of another space."""
    query = (
        select(turns.c.conversation, turns.c.id)
        .where(turns.c.message_id == message_id, turns.c.space == space)
        .limit(1)
    )
    async with storage.engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else (row.conversation, row.id)


async def history_until(storage: Storage, conversation: str, turn: int, limit: int) -> list[Turn]:
    """The newest ``limit`` turns of a conversation up to the answer to turn ``turn``."""
    answer = (
        select(func.min(turns.c.id))
        .where(turns.c.conversation == conversation, turns.c.id > turn, turns.c.role == "assistant")
        .scalar_subquery()
    )
    query = (
        select(turns.c.role, turns.c.content, turns.c.user_id)
        .where(turns.c.conversation == conversation, turns.c.id <= func.coalesce(answer, turn))
        .order_by(turns.c.id.desc())
        .limit(limit)
    )
    async with storage.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Turn(*row) for row in reversed(rows)]


async def histories(
    storage: Storage, conversations: Sequence[str], limit: int, since: float | None = None
) -> list[list[Turn]]:
    """The newest ``limit`` turns of each conversation, oldest first, in one query; a
    conversation whose last turn is older than ``since`` (epoch seconds) is over: empty."""
    if limit <= 0:
        return [[] for _ in conversations]
    ranked = (
        select(
            turns.c.conversation,
            turns.c.role,
            turns.c.content,
            turns.c.user_id,
            turns.c.created_at,
            func.row_number()
            .over(partition_by=turns.c.conversation, order_by=turns.c.id.desc())
            .label("rank"),
        )
        .where(turns.c.conversation.in_(set(conversations)))
        .subquery()
    )
    query = (
        select(
            ranked.c.conversation,
            ranked.c.role,
            ranked.c.content,
            ranked.c.user_id,
            ranked.c.created_at,
        )
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.conversation, ranked.c.rank.desc())
    )
    found: dict[str, list[Turn]] = {}
    last: dict[str, float] = {}
    async with storage.engine.connect() as conn:
        for conversation, role, content, user_id, created_at in await conn.execute(query):
            found.setdefault(conversation, []).append(Turn(role, content, user_id))
            last[conversation] = created_at
    if since is not None:
        found = {c: t for c, t in found.items() if last[c] >= since}
    return [found.get(c, []) for c in conversations]


async def expire(storage: Storage, before: float) -> int:
    """Delete every conversation whose last turn is older than ``before`` (epoch seconds);
    return how many turns went."""
    idle = (
        select(turns.c.conversation)
        .group_by(turns.c.conversation)
        .having(func.max(turns.c.created_at) < before)
    )
    async with storage.engine.begin() as conn:
        result = await conn.execute(delete(turns).where(turns.c.conversation.in_(idle)))
    return result.rowcount or 0


async def roll_up(storage: Storage, before_day: str) -> int:
    """Sum the per-user token counts of days before ``before_day`` into one row per day and
    server (user ""), and those of every DM space into one per day (space "dm"), so old usage
    keeps its totals but no user's trace; return how many per-user rows went."""
    detailed = (usage.c.day < before_day, usage.c.user_id != "")
    space = case(
        (usage.c.guild_id.startswith(DM_PREFIX, autoescape=True), DM_TOTALS),
        else_=usage.c.guild_id,
    )
    totals = (
        select(usage.c.day, space, func.sum(usage.c.tokens))
        .where(*detailed)
        .group_by(usage.c.day, space)
    )
    async with storage.engine.begin() as conn:
        rows = [
            {"day": day, "guild_id": guild, "user_id": "", "tokens": int(tokens)}
            for day, guild, tokens in await conn.execute(totals)
        ]
        if not rows:
            return 0
        await conn.execute(_add_tokens(storage), rows)
        result = await conn.execute(delete(usage).where(*detailed))
    return result.rowcount or 0


async def save_all(storage: Storage, exchanges: Sequence[Exchange], keep: int) -> list[None]:
    """Store exchanges and their tokens in one transaction; each conversation keeps only its
    newest ``keep`` turns."""
    kept = [e for e in exchanges if not e.ephemeral]
    rows = [row for exchange in kept for row in _rows(exchange)]
    tokens: dict[tuple[str, str, str], int] = {}
    for e in exchanges:
        key = (e.day, e.space, e.user_id)
        tokens[key] = tokens.get(key, 0) + e.tokens
    counts = [
        {"day": day, "guild_id": guild, "user_id": user, "tokens": n}
        for (day, guild, user), n in tokens.items()
    ]
    async with storage.engine.begin() as conn:
        if rows:
            await conn.execute(insert(turns), rows)
            await conn.execute(_prune({e.conversation for e in kept}, max(keep, 2)))
        await conn.execute(_add_tokens(storage), counts)
    return [None] * len(exchanges)


def _rows(exchange: Exchange) -> list[dict[str, object]]:
    base = {
        "conversation": exchange.conversation,
        "user_id": exchange.user_id,
        "created_at": exchange.at,
        "message_id": None,
        "space": exchange.space,
        "channel_id": exchange.channel_id,
    }
    rows = [
        {**base, "role": t.role, "content": t.content, "user_id": t.user_id or exchange.user_id}
        for t in exchange.seed
    ]
    rows.append(
        {**base, "role": "user", "content": exchange.question, "message_id": exchange.message_id}
    )
    rows += [{**base, "role": "tools", "content": calls} for calls in exchange.tools]
    rows.append({**base, "role": "assistant", "content": exchange.answer})
    return rows


def _prune(conversations: set[str], keep: int) -> Delete:
    """Delete all but the newest ``keep`` turns of each of ``conversations``."""
    ranked = (
        select(
            turns.c.id,
            func.row_number()
            .over(partition_by=turns.c.conversation, order_by=turns.c.id.desc())
            .label("rank"),
        )
        .where(turns.c.conversation.in_(conversations))
        .subquery()
    )
    return delete(turns).where(turns.c.id.in_(select(ranked.c.id).where(ranked.c.rank > keep)))


def _add_tokens(storage: Storage) -> Insert:
    """Add tokens to a (day, guild, user) row, creating the row if needed."""
    stmt = storage.insert(usage)
    return stmt.on_conflict_do_update(
        index_elements=["day", "guild_id", "user_id"],
        set_={"tokens": usage.c.tokens + stmt.excluded.tokens},
    )


async def forget(storage: Storage, conversation: str, user_id: str | None = None) -> int:
    """Delete a conversation's turns (only ``user_id``'s questions and the answers to them,
    when given); return how many went."""
    query = delete(turns).where(turns.c.conversation == conversation)
    if user_id is not None:
        query = query.where(turns.c.user_id == user_id)
    async with storage.engine.begin() as conn:
        result = await conn.execute(query)
    return result.rowcount or 0


async def forget_channel(storage: Storage, space: str, channel_id: str) -> int:
    """Delete every turn said in a channel of ``space`` (and turns stored before 0.3 with the
    channel but no space); return how many went."""
    query = delete(turns).where(turns.c.channel_id == channel_id, turns.c.space.in_({space, ""}))
    async with storage.engine.begin() as conn:
        result = await conn.execute(query)
    return result.rowcount or 0


async def tokens_today(storage: Storage, day: str, space: str, user_id: str | None = None) -> int:
    """Tokens used on ``day`` in a space, by everyone or by one user."""
    query = select(func.coalesce(func.sum(usage.c.tokens), 0)).where(
        usage.c.day == day, usage.c.guild_id == space
    )
    if user_id is not None:
        query = query.where(usage.c.user_id == user_id)
    async with storage.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


def _of_user(user_id: str) -> ColumnElement[bool]:
    """Turns derived from a user: theirs, and every turn of a conversation that is theirs
    (copies of other users' turns it started from included)."""
    return or_(
        turns.c.user_id == user_id, turns.c.conversation.endswith(f":{user_id}", autoescape=True)
    )


def _usage_of(user_id: str) -> ColumnElement[bool]:
    """Token counts of a user: theirs anywhere, and any of their DM space."""
    return or_(usage.c.user_id == user_id, usage.c.guild_id == dm_space(user_id))


async def delete_user(storage: Storage, user_id: str) -> int:
    """Forget a user's questions, the answers to them (copies in others' conversations too),
    their own conversations and their token counts."""
    async with storage.engine.begin() as conn:
        gone = await conn.execute(delete(turns).where(_of_user(user_id)))
        counted = await conn.execute(delete(usage).where(_usage_of(user_id)))
    return (gone.rowcount or 0) + (counted.rowcount or 0)


async def count_user(storage: Storage, user_id: str) -> dict[str, int]:
    """What is stored about a user, for ``!mydata``."""
    queries = {
        "conversation messages": select(func.count()).where(_of_user(user_id)),
        "daily token counts": select(func.count()).where(_usage_of(user_id)),
    }
    async with storage.engine.connect() as conn:
        return {kind: (await conn.execute(q)).scalar_one() for kind, q in queries.items()}


async def personas_of(storage: Storage, space: str, channels: Sequence[str]) -> dict[str, str]:
    """The system prompts set for any of ``channels`` of ``space``, by channel."""
    query = select(personas.c.channel_id, personas.c.prompt).where(
        personas.c.space == space, personas.c.channel_id.in_(set(channels))
    )
    async with storage.engine.connect() as conn:
        return {channel: prompt for channel, prompt in await conn.execute(query)}


async def set_persona(
    storage: Storage, space: str, channel_id: str, prompt: str, at: float
) -> None:
    """Set (or replace) a channel's system prompt."""
    stmt = storage.insert(personas).values(
        space=space, channel_id=channel_id, prompt=prompt, set_at=at
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["space", "channel_id"], set_={"prompt": prompt, "set_at": at}
    )
    async with storage.engine.begin() as conn:
        await conn.execute(stmt)


async def drop_persona(storage: Storage, space: str, channel_id: str) -> bool:
    """Remove a channel's system prompt; whether it had one."""
    query = delete(personas).where(personas.c.space == space, personas.c.channel_id == channel_id)
    async with storage.engine.begin() as conn:
        result = await conn.execute(query)
    return bool(result.rowcount)
