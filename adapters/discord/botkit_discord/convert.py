"""discord.py objects to botkit's platform-neutral ones."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable

import discord

from botkit.adapter import (
    Attachment,
    BoundedMap,
    Channel,
    ChannelKind,
    Message,
    ReferencedMessage,
    User,
)

OCTET_STREAM = "application/octet-stream"
CHANNELS_KEPT = 10_000
_MANAGES = discord.Permissions(manage_guild=True, administrator=True).value
_DM_TYPES = (discord.ChannelType.private, discord.ChannelType.group)
_THREAD_TYPES = (
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)


def created_at(snowflake: int) -> float:
    """The Unix time a Discord id was made at (what ``discord.utils.snowflake_time`` gives)."""
    return ((snowflake >> 22) + discord.utils.DISCORD_EPOCH) / 1000


def member_facts(author: discord.abc.User) -> tuple[bool, tuple[str, ...]]:
    """Whether the author may manage the server (Manage Server, Administrator, or owner), and
    the ids of their server roles, @everyone left out; from one pass over the roles."""
    if not isinstance(author, discord.Member):
        return False, ()
    member_roles = author.roles  # sorted, @everyone first: discord.py builds it on each access
    value = 0
    for role in member_roles:
        value |= role.permissions.value
    admin = author.guild.owner_id == author.id or bool(value & _MANAGES)
    return admin, tuple(str(role.id) for role in member_roles if not role.is_default())


def voice_channel(author: discord.abc.User) -> Channel | None:
    """The voice channel the author is in, when the gateway told us."""
    voice = author.voice if isinstance(author, discord.Member) else None
    if voice is None or voice.channel is None:
        return None
    vc = voice.channel
    return Channel(id=str(vc.id), name=vc.name, kind=ChannelKind.VOICE, guild_id=str(vc.guild.id))


def channel(ch: discord.abc.Messageable | discord.abc.GuildChannel) -> Channel:
    """A text channel, thread or DM as a botkit Channel."""
    if isinstance(ch, discord.Thread):
        return Channel(
            id=str(ch.id),
            name=ch.name,
            kind=ChannelKind.THREAD,
            guild_id=str(ch.guild.id),
            parent_id=str(ch.parent_id),
            owner_id=str(ch.owner_id) if ch.owner_id else None,
        )
    if isinstance(ch, discord.DMChannel | discord.GroupChannel):
        return Channel(id=str(ch.id), name="direct message", kind=ChannelKind.DM)
    if isinstance(ch, discord.PartialMessageable):
        guild_id = str(ch.guild_id) if ch.guild_id else None
        if ch.type in _DM_TYPES or (ch.type is None and guild_id is None):
            return Channel(id=str(ch.id), name="direct message", kind=ChannelKind.DM)
        kind = ChannelKind.THREAD if ch.type in _THREAD_TYPES else ChannelKind.GUILD_TEXT
        return Channel(id=str(ch.id), kind=kind, guild_id=guild_id)
    guild = getattr(ch, "guild", None)
    return Channel(
        id=str(ch.id),
        name=getattr(ch, "name", "") or "",
        kind=ChannelKind.GUILD_TEXT,
        guild_id=str(guild.id) if guild is not None else None,
    )


def attachment(a: discord.Attachment, voice_flag: bool = False) -> Attachment:
    """An attachment whose bytes discord.py downloads when a plugin reads it."""
    content_type = a.content_type or mimetypes.guess_type(a.filename)[0] or OCTET_STREAM
    return Attachment(
        filename=a.filename,
        size=a.size,
        content_type=content_type,
        is_voice_message=voice_flag or a.is_voice_message(),
        url=a.url,
        duration=a.duration,
        reader=a.read,
    )


def _replied_to(message: discord.Message) -> discord.Message | None:
    ref = message.reference
    if ref is None or ref.type is not discord.MessageReferenceType.reply:
        return None
    resolved = ref.resolved if ref.resolved is not None else ref.cached_message
    return resolved if isinstance(resolved, discord.Message) else None


_SOMEONE = User(id="", name="")


class Converter:
    """Turns discord.py messages into botkit ones for one logged-in bot user."""

    def __init__(self, bot_user_id: int, owner_ids: Iterable[int] = ()) -> None:
        self.bot_user_id = bot_user_id
        self.owner_ids = frozenset(owner_ids)
        self._bot_user = str(bot_user_id)
        self._channels: BoundedMap[int, tuple[object, str | None, Channel]] = BoundedMap(
            CHANNELS_KEPT
        )
        self._mention = re.compile(rf"\s*<@!?{bot_user_id}>\s*")

    def user(self, author: discord.abc.User) -> User:
        owner = author.id in self.owner_ids
        admin, role_ids = member_facts(author)
        return User(
            id=str(author.id),
            name=author.display_name,
            is_bot=author.bot,
            is_admin=owner or admin,
            is_owner=owner,
            voice_channel=voice_channel(author),
            roles=role_ids,
        )

    def channel(self, ch: discord.abc.Messageable | discord.abc.GuildChannel) -> Channel:
        """``channel(ch)``, remembered per channel object for as long as its name stays."""
        name = getattr(ch, "name", None)
        known = self._channels.get(ch.id)
        if known is not None and known[0] is ch and known[1] == name:
            return known[2]
        converted = channel(ch)
        self._channels[ch.id] = (ch, name, converted)
        return converted

    def strip_mention(self, content: str) -> str:
        """Remove the bot's own mention (``<@id>`` and ``<@!id>``)."""
        if "<@" not in content:
            return content
        return self._mention.sub(" ", content).strip()

    def mentions_bot(self, message: discord.Message) -> bool:
        if "<@" not in message.content:  # no user or role mention at all
            return False
        if self.bot_user_id in message.raw_mentions:
            return True
        guild = message.guild
        if guild is None or not message.raw_role_mentions:
            return False
        role = guild.self_role
        return role is not None and role.id in message.raw_role_mentions

    def referenced(self, message: discord.Message) -> ReferencedMessage:
        ref = message.reference
        answered = ref is not None and ref.type is discord.MessageReferenceType.reply
        return ReferencedMessage(
            id=str(message.id),
            author=self.user(message.author),
            content=self.strip_mention(message.content),
            reply_to=str(ref.message_id) if answered and ref.message_id else None,
        )

    def reference(self, message: discord.Message) -> ReferencedMessage | None:
        """The message replied to, when Discord (or the message cache) resolved it."""
        replied = _replied_to(message)
        return self.referenced(replied) if replied is not None else None

    def glance(self, message: discord.Message, channel: Channel) -> Message:
        """A cheap Message with only what ``Bot.wants`` reads, so ignored chatter stays cheap;
        ``channel`` is the message's channel, converted."""
        content = self.strip_mention(message.content)
        replied = _replied_to(message)
        reference = None
        if replied is not None:
            reference = ReferencedMessage(str(replied.id), User(str(replied.author.id), ""), "")
        glance = Message(
            id=str(message.id),
            content=content,
            author=_SOMEONE,
            channel=channel,
            mentions_bot=self.mentions_bot(message),
            reference=reference,
        )
        return glance

    def message(self, message: discord.Message, channel: Channel) -> Message:
        """The whole Message; ``channel`` is the message's channel, converted."""
        voice_flag = message.flags.voice
        found, files = message.mentions, message.attachments
        return Message(
            id=str(message.id),
            content=self.strip_mention(message.content),
            author=self.user(message.author),
            channel=channel,
            mentions_bot=self.mentions_bot(message),
            reference=self.reference(message) if message.reference is not None else None,
            attachments=tuple(attachment(a, voice_flag) for a in files) if files else (),
            created_at=created_at(message.id),
            mentions=(
                tuple(self.user(u) for u in found if u.id != self.bot_user_id) if found else ()
            ),
        )
