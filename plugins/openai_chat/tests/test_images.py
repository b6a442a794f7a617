"""Images attached to a question reach the model as data URLs; memory keeps only a mention."""

from __future__ import annotations

import base64
import struct
import zlib

from botkit_openai_chat import images
from conftest import API_KEY, said, sent_messages
from hypothesis import given
from hypothesis import strategies as st

from botkit_testkit.openai_server import FakeOpenAI


def png(width: int = 1, height: int = 1) -> bytes:
    """A real PNG of black pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\0" + b"\0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\0" * 40
JPEG += b"\xff\xd9"
WEBP_BODY = b"WEBPVP8L" + struct.pack("<I", 6) + b"\x2f\x00\x00\x00\x00\x00"
WEBP = b"RIFF" + struct.pack("<I", len(WEBP_BODY)) + WEBP_BODY


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


async def test_an_image_reaches_the_model_as_a_data_url_beside_the_text(chat_bot, server) -> None:
    picture = png(2, 2)
    async with chat_bot() as bot:
        replies = await bot.send(
            "what is this?", mention=True, attachments=[bot.attachment("cat.png", picture)]
        )
    assert replies.text == "echo: what is this?"
    assert sent_messages(server)[-1]["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": data_url("image/png", picture)}},
    ]


async def test_an_image_without_words_reaches_the_model_alone(chat_bot, server) -> None:
    picture = png(2, 2)
    async with chat_bot() as bot:
        await bot.send("", mention=True, attachments=[bot.attachment("cat.png", picture)])
    assert sent_messages(server)[-1]["content"] == [
        {"type": "image_url", "image_url": {"url": data_url("image/png", picture)}},
    ]


async def test_the_type_comes_from_the_bytes_not_the_name(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send(
            "and these?",
            mention=True,
            attachments=[
                bot.attachment("photo.png", JPEG),
                bot.attachment("anim.jpg", GIF),
                bot.attachment("x.gif", WEBP),
            ],
        )
    assert server.images == [
        data_url("image/jpeg", JPEG),
        data_url("image/gif", GIF),
        data_url("image/webp", WEBP),
    ]


async def test_memory_keeps_a_mention_not_the_image(chat_bot, server) -> None:
    async with chat_bot() as bot:
        await bot.send(
            "what is this?", mention=True, attachments=[bot.attachment("cat.png", png())]
        )
        await bot.send("and its colour?", mention=True)
    assert said(server) == [
        "what is this?\n[image: cat.png]",
        "echo: what is this?",
        "and its colour?",
    ]
    assert len(server.images) == 1


async def test_a_model_without_vision_gets_the_question_without_the_image(chat_bot) -> None:
    async with (
        FakeOpenAI(api_key=API_KEY, vision=False) as blind,
        chat_bot(base_url=blind.base_url) as bot,
    ):
        replies = await bot.send(
            "what is this?", mention=True, attachments=[bot.attachment("cat.png", png())]
        )
    assert replies.text == (
        "(This model cannot look at images, so I answered without cat.png.)\n\necho: what is this?"
    )
    assert said(blind) == ["what is this?"]
    assert blind.images == []


async def test_a_refusing_model_is_not_sent_images_again(chat_bot) -> None:
    async with (
        FakeOpenAI(api_key=API_KEY, vision=False) as blind,
        chat_bot(base_url=blind.base_url) as bot,
    ):
        await bot.send("one?", mention=True, attachments=[bot.attachment("a.png", png())])
        replies = await bot.send("two?", mention=True, attachments=[bot.attachment("b.png", png())])
    chats = [r for r in blind.requests if r.path == "/chat/completions"]
    assert len(chats) == 3  # the refused one, its text-only retry, and the second question
    assert replies.text.startswith(
        "(This model cannot look at images, so I answered without b.png.)"
    )


async def test_an_image_refusal_by_error_code_is_recognised(chat_bot) -> None:
    async with (
        FakeOpenAI(
            api_key=API_KEY, vision=False, image_refusal_code="image_not_supported"
        ) as blind,
        chat_bot(base_url=blind.base_url, stream=True) as bot,
    ):
        replies = await bot.send("what?", mention=True, attachments=[bot.attachment("a.gif", GIF)])
    assert replies.text == (
        "(This model cannot look at images, so I answered without a.gif.)\n\necho: what?"
    )


async def test_vision_true_reports_a_refusal(chat_bot) -> None:
    async with (
        FakeOpenAI(api_key=API_KEY, vision=False) as blind,
        chat_bot(base_url=blind.base_url, vision=True) as bot,
    ):
        replies = await bot.send(
            "what?", mention=True, attachments=[bot.attachment("a.png", png())]
        )
    assert replies.text == (
        "The model `gpt-4o-mini` does not take images. Ask without the image, or admins can "
        "choose a model that sees them (!model)."
    )


async def test_vision_off_never_sends_images(chat_bot, server) -> None:
    async with chat_bot(vision=False) as bot:
        replies = await bot.send(
            "what is this?", mention=True, attachments=[bot.attachment("cat.png", png())]
        )
    assert replies.text == "echo: what is this?"
    assert server.images == []


async def test_a_fake_image_gets_a_clear_reply(chat_bot, server) -> None:
    async with chat_bot() as bot:
        replies = await bot.send(
            "look", mention=True, attachments=[bot.attachment("cat.png", b"not a picture at all")]
        )
    assert (
        replies.text
        == "cat.png is not a PNG, JPEG, WebP or GIF image. Send it in one of those formats."
    )
    assert [r for r in server.requests if r.path == "/chat/completions"] == []


async def test_a_cut_short_image_gets_a_clear_reply(chat_bot) -> None:
    async with chat_bot() as bot:
        replies = await bot.send(
            "look", mention=True, attachments=[bot.attachment("cat.png", png(4, 4)[:30])]
        )
    assert replies.text == "cat.png looks damaged or cut short. Please send it again."


async def test_a_too_large_image_is_refused(chat_bot, server) -> None:
    async with chat_bot(max_image_mb=0.00005) as bot:
        replies = await bot.send(
            "look", mention=True, attachments=[bot.attachment("big.png", png())]
        )
    assert (
        replies.text == "big.png is 67 bytes; images may be at most 52 bytes. Send a smaller one."
    )
    assert server.images == []


async def test_other_attachments_are_left_alone(chat_bot, server) -> None:
    async with chat_bot() as bot:
        replies = await bot.send(
            "hi", mention=True, attachments=[bot.attachment("notes.txt", b"plain words")]
        )
    assert replies.text == "echo: hi"


@given(st.binary(max_size=64))
def test_no_bytes_without_a_magic_number_pass_for_an_image(data: bytes) -> None:
    prefixes = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")
    if not data.startswith(prefixes):
        assert images.sniff(data) is None


async def test_the_hosts_attachment_cap_applies_too(chat_bot, server) -> None:
    async with chat_bot(config={"bot": {"max_attachment_mb": 0.00005}}) as bot:
        replies = await bot.send("look", mention=True, attachments=[bot.attachment("a.png", png())])
    assert replies.text == "a.png is 67 bytes; images may be at most 52 bytes. Send a smaller one."
