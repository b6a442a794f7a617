"""A zip whose headers lie about its sizes, or that is otherwise corrupt, is the user's error:
a clear reply saying what to do, no plugin failure, and nothing already stored lost."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from botkit_trainer.tables import examples
from sqlalchemy import select

TEXT = b"The lighthouse opens at dawn.\n" * 40
REDO = "Make the zip again (or send the files themselves) and send it again. Nothing was stored."


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", data)
    return buffer.getvalue()


def patched(data: bytes, local: int, central: int, value: int) -> bytes:
    """``data`` with a 4-byte field rewritten in the local header and the central directory."""
    out = bytearray(data)
    struct.pack_into("<I", out, out.index(b"PK\x03\x04") + local, value)
    struct.pack_into("<I", out, out.index(b"PK\x01\x02") + central, value)
    return bytes(out)


def smaller(data: bytes) -> bytes:
    return patched(data, 22, 24, 10)  # the uncompressed size, as the headers say


def larger(data: bytes) -> bytes:
    return patched(data, 22, 24, len(TEXT) + 100)


def bad_crc(data: bytes) -> bytes:
    return patched(data, 14, 16, 0xDEADBEEF)


def cut(data: bytes) -> bytes:
    return data[:60] + data[80:]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (smaller, "That .zip file is damaged (notes.txt: its checksum does not match)."),
        (larger, "That .zip file is damaged (notes.txt unpacks to less than its header says)."),
        (bad_crc, "That .zip file is damaged (notes.txt: its checksum does not match)."),
        (cut, "That .zip file is damaged (notes.txt: its data cannot be read)."),
    ],
)
async def test_a_damaged_zip_is_the_users_error_and_loses_nothing(
    start: Any, damage: Callable[[bytes], bytes], reason: str
) -> None:
    async with start() as bot:
        kept = bot.attachment("kept.txt", b"The harbour is north of the town.")
        await bot.send("!train Where is the harbour? => North.", user=bot.member)
        await bot.send("!train", user=bot.member, attachments=[kept])
        folder = bot.data_dir / "datasets" / "500" / "default"
        files_before = sorted(p.name for p in folder.iterdir())
        bad = bot.attachment("notes.zip", damage(zipped(TEXT)))
        replies = await bot.send("!train", user=bot.member, attachments=[bad])
        listing = await bot.send("!datasets")
        files_after = sorted(p.name for p in folder.iterdir())
        async with bot.bot.storage.session() as session:
            contents = (await session.execute(select(examples.c.content))).scalars().all()
        status = bot.status("trainer")
    assert replies.text == f"{reason} {REDO}"
    assert (status.failures, status.state) == (0, "ok")
    assert listing.text == "**default** (current): 1 positive, 0 negative Q&A, 1 document(s)"
    assert files_after == files_before == ["kept.txt"]
    assert not any("lighthouse" in c for c in contents)
