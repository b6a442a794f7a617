"""aiogram's Telegram objects to botkit's platform-neutral ones.

Telegram numbers messages per chat, so a botkit message id is ``<chat id>:<message id>``
(unique across chats); a forum topic is a thread whose channel id is ``<chat id>/<topic id>``.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import types

from botkit.adapter import Attachment, Channel, ChannelKind, Message, ReferencedMessage, User
from botkit_telegram.names import CommandNames

COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)")
_SPACES = re.compile(r" {2,}")
OCTET_STREAM = "application/octet-stream"
CHANNELS_KEPT = 10_000
OGG = "audio/ogg"

Reader = Callable[[str, int], Callable[[], Awaitable[bytes]]]


def message_id(chat_id: int | str, message: int | str) -> str:
    return f"{chat_id}:{message}"


def split_message_id(value: str) -> tuple[str, int] | None:
    """(chat id, message id) of ``<chat>:<message>``; None when it is not one."""
    chat, sep, number = value.rpartition(":")
    if not sep or not number.isdigit() or not chat.lstrip("-").isdigit():
        return None
    return chat, int(number)


def chat_of(channel_id: str) -> tuple[int, int | None]:
    """(chat id, topic id or None) of a botkit channel id."""
    chat, _, topic = channel_id.partition("/")
    return int(chat), int(topic) if topic else None


def full_name(user: types.User) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p) or user.username or ""


def channel(message: types.Message) -> Channel:
    """The chat, or its forum topic, as a botkit channel."""
    chat = message.chat
    if chat.type == "private":
        return Channel(id=str(chat.id), name=chat.full_name, kind=ChannelKind.DM)
    group = str(chat.id)
    topic = message.message_thread_id
    if chat.is_forum and message.is_topic_message and topic:
        header = message.reply_to_message
        created = header.forum_topic_created if header is not None else None
        return Channel(
            id=f"{group}/{topic}",
            name=created.name if created is not None else f"topic {topic}",
            kind=ChannelKind.THREAD,
            guild_id=group,
            parent_id=group,
        )
    return Channel(id=group, name=chat.title or "", kind=ChannelKind.GUILD_TEXT, guild_id=group)


def replied_to(message: types.Message) -> types.Message | None:
    """The message really replied to (in a forum topic every message 'replies' to its header)."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None
    if message.is_topic_message and replied.message_id == message.message_thread_id:
        return None
    return replied


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` an entity covers (Telegram counts UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    return encoded[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


OTHER_BOT = ("", "")  # a command addressed to another bot: not ours


class Converter:
    """Turns updates into botkit messages for one logged-in bot."""

    def __init__(
        self, bot_user: types.User, names: CommandNames, prefix: str, reader: Reader
    ) -> None:
        self.bot_id = bot_user.id
        self.bot_user_id = str(bot_user.id)
        self.username = (bot_user.username or "").lower()
        self.names = names
        self.prefix = prefix
        self.reader = reader
        self._channels: dict[tuple[int, int | None], tuple[str | None, Channel]] = {}
        self._mention = (
            re.compile(rf"(?<!\w)@{re.escape(bot_user.username)}\b", re.IGNORECASE)
            if bot_user.username
            else None
        )

    def channel(self, message: types.Message) -> Channel:
        """``channel(message)``, remembered per chat and topic while its name stays."""
        chat = message.chat
        key = (chat.id, message.message_thread_id if message.is_topic_message else None)
        name = chat.title if chat.type != "private" else chat.full_name
        known = self._channels.get(key)
        if known is not None and known[0] == name and key[1] is None:
            return known[1]
        converted = channel(message)
        if len(self._channels) >= CHANNELS_KEPT:
            self._channels.clear()
        self._channels[key] = (name, converted)
        return converted

    def user(self, author: types.User | None) -> User:
        if author is None:
            return User(id="", name="")
        return User(id=str(author.id), name=full_name(author), is_bot=author.is_bot)

    def command(self, text: str) -> tuple[str, str] | None:
        """``/name@bot args`` as (the host's command name, args); ``OTHER_BOT`` when it is
        another bot's command; None when the text is no command."""
        match = COMMAND.match(text)
        if match is None:
            return None
        name, target = match.groups()
        if target is not None and target.lower() != self.username:
            return OTHER_BOT
        return self.names.host_name(name.lower()), text[match.end() :].strip()

    def mentions_bot(self, text: str, entities: list[types.MessageEntity] | None) -> bool:
        for entity in entities or ():
            if entity.type == "text_mention" and entity.user and entity.user.id == self.bot_id:
                return True
            if entity.type == "mention":
                mentioned = utf16_slice(text, entity.offset, entity.length)
                if mentioned[1:].lower() == self.username:
                    return True
        return False

    def strip_mention(self, text: str) -> str:
        if self._mention is None or "@" not in text:
            return text
        return _SPACES.sub(" ", self._mention.sub(" ", text)).strip()

    def referenced(self, message: types.Message, reply_to: str | None = None) -> ReferencedMessage:
        text = message.text or message.caption or ""
        return ReferencedMessage(
            id=message_id(message.chat.id, message.message_id),
            author=self.user(message.from_user),
            content=self.strip_mention(text),
            reply_to=reply_to,
        )

    def message(
        self, message: types.Message, known: Callable[[str], ReferencedMessage | None]
    ) -> tuple[Message, tuple[str, str] | None] | None:
        """A botkit message and, for ``/name args``, the command invocation it is; None when
        it is not for this bot (``/cmd@otherbot``)."""
        text = message.text or message.caption or ""
        entities = message.entities or message.caption_entities
        command = self.command(text)
        if command == OTHER_BOT:
            return None
        mentioned = self.mentions_bot(text, entities)
        content = text if command or not mentioned else self.strip_mention(text)
        reference = None
        replied = replied_to(message)
        if replied is not None:
            reference = known(message_id(replied.chat.id, replied.message_id))
            if reference is None:
                reference = self.referenced(replied)
        converted = Message(
            id=message_id(message.chat.id, message.message_id),
            content=content,
            author=self.user(message.from_user),
            channel=self.channel(message),
            mentions_bot=mentioned,
            reference=reference,
            attachments=self.attachments(message),
            created_at=message.date.timestamp() if message.date else 0.0,
        )
        return converted, command

    def attachments(self, message: types.Message) -> tuple[Attachment, ...]:
        found: list[Attachment] = []
        if message.voice is not None:
            voice = message.voice
            found.append(
                self._attachment(
                    voice, "voice.ogg", voice.mime_type or OGG, voice=True, duration=voice.duration
                )
            )
        if message.audio is not None:
            audio = message.audio
            mime = audio.mime_type or mimetypes.guess_type(audio.file_name or "")[0] or "audio/mpeg"
            name = audio.file_name or "audio" + (mimetypes.guess_extension(mime) or "")
            found.append(self._attachment(audio, name, mime, duration=audio.duration))
        if message.document is not None:
            doc = message.document
            name = doc.file_name or "document"
            mime = doc.mime_type or mimetypes.guess_type(name)[0] or OCTET_STREAM
            found.append(self._attachment(doc, name, mime))
        return tuple(found)

    def _attachment(
        self,
        media: Any,
        filename: str,
        content_type: str,
        *,
        voice: bool = False,
        duration: float | None = None,
    ) -> Attachment:
        size = media.file_size or 0
        return Attachment(
            filename=filename,
            size=size,
            content_type=content_type,
            is_voice_message=voice,
            duration=float(duration) if duration is not None else None,
            reader=self.reader(media.file_id, size),
        )
