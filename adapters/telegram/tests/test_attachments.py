"""Voice notes, audio and documents become attachments that download on demand."""

from __future__ import annotations

from conftest import Observer

from botkit import Channel


async def test_a_voice_note_is_a_voice_message_with_its_duration(telegram_harness):
    seen = Observer()
    async with telegram_harness(plugins={"seen": seen}) as tg:
        await tg.send(voice=b"OggS fake opus", duration=3)
    (note,) = seen.messages[0].attachments
    assert (note.is_voice_message, note.duration, note.content_type) == (True, 3.0, "audio/ogg")
    assert note.url == ""  # a download URL would hold the token


async def test_a_document_downloads_its_bytes_through_get_file(telegram_harness):
    seen = Observer()
    async with telegram_harness(plugins={"seen": seen}) as tg:
        await tg.send("/hi", document=("notes.md", b"# Notes\nremember", "text/markdown"))
        (document,) = seen.messages[0].attachments
        data = await document.read()
    assert (document.filename, document.content_type, document.size) == (
        "notes.md",
        "text/markdown",
        16,
    )
    assert data == b"# Notes\nremember"


async def test_a_document_over_the_download_limit_is_refused_with_a_reply(telegram_harness):
    seen = Observer()
    async with telegram_harness(plugins={"seen": seen}) as tg:
        big = ("video.mp4", b"x", "video/mp4")
        replies = await tg.send("/hi", document=big, size=30 * 1024 * 1024)
    assert "too large" in replies.text and "video.mp4 is 30.0 MB" in replies.text
    assert seen.messages == []


async def test_fetch_message_finds_messages_of_this_chat_only(telegram_harness):
    async with telegram_harness() as tg:
        sent = (await tg.send("/hi"))[0].result
        chat = Channel(id=str(sent["chat"]["id"]))
        other = Channel(id=str(tg.group["id"]))
        found = await tg.adapter.fetch_message(chat, str(sent["message_id"]))
        elsewhere = await tg.adapter.fetch_message(other, str(sent["message_id"]))
    assert found is not None and found.content == "HI!"
    assert found.author.id == tg.adapter.bot_user_id
    assert elsewhere is None
