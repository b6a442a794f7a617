"""Images attached to a question: checked by their bytes, sent as data URLs, never remembered.

An attachment is taken for an image when its content type or its name says so; its real type
comes from the first bytes (the magic number), and a light check of its structure (a PNG's
header and end chunk, a JPEG's end marker, a GIF's trailer, a WebP's RIFF size) finds a file
that was cut short. Only a short mention such as ``[image: cat.png]`` is stored.
"""

from __future__ import annotations

import base64
import logging
import struct
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

import attrs
import openai

from botkit import Attachment, CommandError, Context

log = logging.getLogger("botkit.openai_chat")

EXTENSIONS = {".png", ".jpg", ".jpeg", ".jpe", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic"}
KINDS = "PNG, JPEG, WebP or GIF"
# Words in a 400 answer that show the model or server does not take images.
REFUSAL_WORDS = ("image", "vision", "multimodal", "multi-modal")
REFUSAL_CODES = {"invalid_image", "image_not_supported", "invalid_image_url", "unsupported_image"}


@attrs.frozen
class Image:
    """One checked image: its name as the user sent it, its real type and its bytes."""

    filename: str
    mime: str
    data: bytes = attrs.field(repr=False)

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def part(self) -> dict[str, Any]:
        """The ``image_url`` content part of a chat message."""
        return {"type": "image_url", "image_url": {"url": self.data_url()}}


def image_mention(filename: str) -> str:
    """What the conversation memory keeps instead of the image."""
    return f"[image: {clean_name(filename)}]"


def clean_name(filename: str) -> str:
    """The file's own name, without folders or brackets, at most 80 characters."""
    name = PurePath(filename.replace("\\", "/")).name or "image"
    return name.replace("[", "(").replace("]", ")")[:80]


def sniff(data: bytes) -> str | None:
    """The MIME type the bytes' magic number names (PNG, JPEG, GIF, WebP), else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def whole(mime: str, data: bytes) -> bool:
    """Whether an image of this type looks complete (not cut short or garbled)."""
    if mime == "image/png":
        return data[12:16] == b"IHDR" and b"IEND" in data[-12:]
    if mime == "image/jpeg":
        return b"\xff\xd9" in data[-16:]
    if mime == "image/gif":
        return len(data) > 13 and data.rstrip(b"\0").endswith(b";")
    if mime == "image/webp":
        return len(data) >= 16 and struct.unpack("<I", data[4:8])[0] + 8 <= len(data)
    return False


def looks_like_image(attachment: Attachment) -> bool:
    """Whether the user meant this attachment as a picture (by its type or name)."""
    if attachment.is_audio:
        return False
    kind = attachment.content_type.split(";")[0].strip().lower()
    return kind.startswith("image/") or PurePath(attachment.filename).suffix.lower() in EXTENSIONS


def megabytes(size: int) -> str:
    """A size as people read it: MB, KB or bytes."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


async def read(ctx: Context, cap: int) -> list[Image]:
    """The message's images, checked; a CommandError saying which one is wrong and why."""
    found = []
    for attachment in ctx.message.attachments:
        if not looks_like_image(attachment):
            continue
        name = clean_name(attachment.filename)
        if attachment.size > cap:
            raise CommandError(
                f"{name} is {megabytes(attachment.size)}; images may be at most "
                f"{megabytes(cap)}. Send a smaller one."
            )
        data = await attachment.read()
        if len(data) > cap:
            raise CommandError(
                f"{name} is {megabytes(len(data))}; images may be at most {megabytes(cap)}. "
                "Send a smaller one."
            )
        mime = sniff(data)
        if mime is None:
            log.info("attachment %r of message %s is no image we read", name, ctx.message.id)
            raise CommandError(f"{name} is not a {KINDS} image. Send it in one of those formats.")
        if not whole(mime, data):
            log.info("image %r of message %s is damaged", name, ctx.message.id)
            raise CommandError(f"{name} looks damaged or cut short. Please send it again.")
        found.append(Image(name, mime, data))
    return found


def question(text: str, images: Sequence[Image]) -> str | list[dict[str, Any]]:
    """The user message's content: the text alone, or the text and the images as parts."""
    if not images:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    return parts + [image.part() for image in images]


def carried(body: dict[str, Any]) -> bool:
    """Whether a chat request sends any image."""
    return any(
        isinstance(m.get("content"), list)
        and any(isinstance(p, dict) and p.get("type") == "image_url" for p in m["content"])
        for m in body.get("messages", ())
    )


def remembered(text: str, images: Sequence[Image]) -> str:
    """The question as the conversation memory keeps it: a mention of each image."""
    return "\n".join([text, *(image_mention(image.filename) for image in images)]).strip()


def refused(exc: openai.APIError) -> bool:
    """Whether a failed request says the model or server does not take images."""
    if getattr(exc, "code", None) in REFUSAL_CODES:
        return True
    if not isinstance(exc, openai.BadRequestError):
        return False
    body = exc.body if isinstance(exc.body, dict) else {}
    message = body.get("message") if isinstance(body.get("message"), str) else exc.message
    return any(word in message.lower() for word in REFUSAL_WORDS)


def dropped_note(images: Sequence[Image]) -> str:
    """The note before an answer given without the images the model refused."""
    names = ", ".join(image.filename for image in images)
    return f"(This model cannot look at images, so I answered without {names}.)\n\n"
