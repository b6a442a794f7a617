"""Each user's own voice (``!voice me``), stored once for every server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from botkit import Storage


@attrs.frozen
class UserVoice:
    engine: str
    voice: str  # a voice name or language code; "" for the server's language


async def get(storage: Storage, user_id: str) -> UserVoice | None:
    from sqlalchemy import select

    from botkit_voice.tables import user_voices

    query = select(user_voices.c.engine, user_voices.c.voice).where(
        user_voices.c.user_id == user_id
    )
    async with storage.session() as session:
        row = (await session.execute(query)).first()
    return None if row is None else UserVoice(row.engine, row.voice)


async def put(storage: Storage, user_id: str, choice: UserVoice) -> None:
    from botkit_voice.tables import user_voices

    values = {"user_id": user_id, "engine": choice.engine, "voice": choice.voice}
    statement = storage.insert(user_voices).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[user_voices.c.user_id],
        set_={"engine": choice.engine, "voice": choice.voice},
    )
    async with storage.session.begin() as session:
        await session.execute(statement)


async def forget(storage: Storage, user_id: str) -> int:
    """Delete the user's choice; how many rows went (0 or 1)."""
    from sqlalchemy import delete

    from botkit_voice.tables import user_voices

    async with storage.session.begin() as session:
        result = await session.execute(delete(user_voices).where(user_voices.c.user_id == user_id))
    return result.rowcount or 0


async def count(storage: Storage, user_id: str) -> int:
    return 1 if await get(storage, user_id) is not None else 0
