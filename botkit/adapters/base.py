"""What the host needs from a chat platform, and what plugins may use of its voice."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import attrs

from botkit.models import Channel, File, ReferencedMessage, Sent

if TYPE_CHECKING:
    from botkit.bot import Bot


class VoiceError(Exception):
    """Voice is unavailable; the message says why and what to install or do."""


class Voice(Protocol):
    """Voice channels, per guild (the console adapter saves audio to files instead)."""

    async def join(self, channel: Channel) -> None:
        """Connect to (or move to) a voice channel."""

    async def leave(self, guild_id: str) -> bool:
        """Disconnect; False when not connected."""

    def is_connected(self, guild_id: str) -> bool:
        """Whether the bot is in a voice channel of this guild."""

    def channel(self, guild_id: str) -> Channel | None:
        """The voice channel the bot is in, if any."""

    async def play(self, guild_id: str, audio: Path) -> Path | None:
        """Play an audio file and return when it ends (console: return the saved file)."""


@attrs.define
class VoiceConnections:
    """The per-guild bookkeeping of a ``Voice``; subclasses add ``play``."""

    connected: dict[str, Channel] = attrs.Factory(dict)

    async def join(self, channel: Channel) -> None:
        self.connected[channel.guild_id or ""] = channel

    async def leave(self, guild_id: str) -> bool:
        return self.connected.pop(guild_id, None) is not None

    def is_connected(self, guild_id: str) -> bool:
        return guild_id in self.connected

    def channel(self, guild_id: str) -> Channel | None:
        return self.connected.get(guild_id)


class Adapter(Protocol):
    """A chat platform. ``send`` takes text already split to ``text_limit``."""

    name: str
    text_limit: int
    can_edit: bool  # False: streamed replies are sent once, complete
    bot_user_id: str
    voice: Voice | None

    async def send(
        self, channel: Channel, text: str, files: tuple[File, ...], reply_to: str | None
    ) -> Sent:
        """Send one message, as a reply to ``reply_to`` when given."""

    async def edit(self, sent: Sent, text: str) -> Sent:
        """Replace the text of a message the bot sent."""

    async def fetch_message(self, channel: Channel, message_id: str) -> ReferencedMessage | None:
        """A message of this channel by id, or None."""

    def typing(self, channel: Channel) -> AbstractAsyncContextManager[None]:
        """Show that the bot is writing while the block runs."""

    async def run(self, bot: Bot) -> None:
        """Feed messages to ``bot.handle`` until stopped."""
