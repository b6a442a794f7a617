"""Platform-neutral objects that flow between adapters, the host and plugins."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import attrs


class ChannelKind(enum.Enum):
    """Where a message was sent."""

    GUILD_TEXT = "guild_text"
    THREAD = "thread"
    DM = "dm"
    VOICE = "voice"


@attrs.frozen
class User:
    """The author of a message, as the adapter saw it."""

    id: str
    name: str
    is_bot: bool = False
    is_admin: bool = False
    is_owner: bool = False
    voice_channel: Channel | None = None
    roles: tuple[str, ...] = ()  # the server role ids the platform reported (Discord)

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@attrs.frozen
class Channel:
    """A text channel, thread, DM or voice channel."""

    id: str
    name: str = ""
    kind: ChannelKind = ChannelKind.GUILD_TEXT
    guild_id: str | None = None
    parent_id: str | None = None
    owner_id: str | None = None

    @property
    def is_dm(self) -> bool:
        return self.kind is ChannelKind.DM


@attrs.frozen
class Attachment:
    """A file attached to a message; its bytes are read only when asked for."""

    filename: str
    size: int
    content_type: str = "application/octet-stream"
    is_voice_message: bool = False
    url: str = ""
    duration: float | None = None
    reader: Callable[[], Awaitable[bytes]] | None = attrs.field(default=None, repr=False)

    @property
    def is_image(self) -> bool:
        """Declared an image (the bytes may still say otherwise)."""
        return self.content_type.split(";")[0].startswith("image/")

    @property
    def is_audio(self) -> bool:
        return self.is_voice_message or self.content_type.split(";")[0].startswith("audio/")

    async def read(self) -> bytes:
        """Download or read the attachment's bytes."""
        if self.reader is None:
            raise ValueError(f"attachment {self.filename!r} has no content")
        return await self.reader()


@attrs.frozen
class ReferencedMessage:
    """The message a user replied to."""

    id: str
    author: User
    content: str
    reply_to: str | None = None  # the id of the message this one answered, if the platform says


@attrs.frozen
class Message:
    """An incoming message, whatever the platform."""

    id: str
    content: str
    author: User
    channel: Channel
    mentions_bot: bool = False
    reference: ReferencedMessage | None = None
    attachments: tuple[Attachment, ...] = ()
    created_at: float = 0.0
    ephemeral: bool = False  # a conversation of its own (``ctx.answer``): chat memory keeps none
    mentions: tuple[User, ...] = ()  # users mentioned in the text (with roles where known)
    spoken: bool = False  # said aloud in a voice channel and transcribed (``plugin.hear``)

    @property
    def guild_id(self) -> str | None:
        return self.channel.guild_id

    @property
    def space(self) -> str:
        """Whose per-server data this message reads and writes: the server's id, or in a
        direct message ``dm:<author id>``, so what one person keeps in a DM is theirs alone."""
        return self.channel.guild_id or dm_space(self.author.id)


def dm_space(user_id: str) -> str:
    """The space of one person's direct messages with the bot."""
    return f"dm:{user_id}"


@attrs.frozen
class File:
    """A file to send: from a path or from bytes.

    ``voice=True`` asks the adapter to send OGG/Opus audio as a voice message (Discord's
    voice-message flag, Telegram's ``sendVoice``) with its ``duration`` in seconds and, for
    Discord, a ``waveform`` (base64 of up to 256 loudness bytes).
    """

    filename: str
    data: bytes | None = attrs.field(default=None, repr=False)
    path: Path | None = None
    voice: bool = False
    duration: float | None = None
    waveform: str | None = attrs.field(default=None, repr=False)

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(f"file {self.filename!r} has neither data nor path")
        return self.path.read_bytes()


@attrs.frozen
class Button:
    """A button under a message: ``id`` comes back in the :class:`Press`, ``label`` is shown."""

    id: str
    label: str


@attrs.frozen
class Reply:
    """What the bot sends back: text, files, or a stream of text chunks.

    ``speak`` says whether a deliver hook (e.g. voice) may speak it; ``buttons`` go under the
    message (a press arrives as the ``botkit_press`` hook; the console takes a typed line).
    ``answer`` is set by the host on the answer pipeline's answer (never on a refusal or a
    command's reply): adapters put rating buttons under such replies only.
    """

    text: str = ""
    files: tuple[File, ...] = ()
    speak: bool = False
    stream: AsyncIterator[str] | None = attrs.field(default=None, repr=False)
    buttons: tuple[Button, ...] = ()
    answer: bool = False


@attrs.frozen
class Sent:
    """A message the bot has sent, as the adapter reports it."""

    id: str
    channel_id: str
    text: str = ""
    files: tuple[File, ...] = ()
    buttons: tuple[Button, ...] = ()


@attrs.frozen
class Press:
    """``user`` pressed button ``button`` (its id) under the bot's message ``message_id``."""

    message_id: str
    button: str
    user: User
    channel: Channel

    @property
    def space(self) -> str:
        """The server's id, or ``dm:<user id>`` for a press in a direct message."""
        return self.channel.guild_id or dm_space(self.user.id)


@attrs.frozen
class Reaction:
    """A user added or removed a reaction on a message."""

    message_id: str
    emoji: str
    added: bool
    user: User
    channel: Channel

    @property
    def guild_id(self) -> str | None:
        return self.channel.guild_id

    @property
    def space(self) -> str:
        """The server's id, or ``dm:<user id>`` for a reaction in a direct message."""
        return self.channel.guild_id or dm_space(self.user.id)


@attrs.frozen
class Audio:
    """Synthesised speech, stored as a file."""

    path: Path
    format: str = "wav"
    duration: float | None = None
