"""The context a command or hook receives: the message, the bot, the plugin's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from botkit.models import File, Message, Reply, Sent

if TYPE_CHECKING:
    from botkit.adapters.base import Adapter
    from botkit.bot import Bot
    from botkit.storage import Storage


class CommandError(Exception):
    """Raise from a command to answer the user with this message (and log it)."""


@attrs.frozen
class Context:
    """Everything a plugin needs to handle one message."""

    bot: Bot
    message: Message
    plugin: str = ""

    def for_plugin(self, plugin: str) -> Context:
        return self if plugin == self.plugin else attrs.evolve(self, plugin=plugin)

    @property
    def settings(self) -> Any:
        """This plugin's settings (an instance of the class its settings hook returned)."""
        return self.bot.settings.get(self.plugin)

    @property
    def storage(self) -> Storage:
        return self.bot.storage

    @property
    def adapter(self) -> Adapter:
        return self.bot.adapter

    @property
    def guild_id(self) -> str | None:
        return self.message.channel.guild_id

    @property
    def prefix(self) -> str:
        return self.bot.config.bot.prefix

    async def reply(self, content: str | Reply, *, files: tuple[File, ...] = ()) -> list[Sent]:
        """Answer the message (as a platform reply to it where the platform has them)."""
        reply = content if isinstance(content, Reply) else Reply(text=content, files=files)
        return await self.bot.send(self.message.channel, reply, reply_to=self.message.id)

    async def send(self, content: str | Reply) -> list[Sent]:
        """Post in the message's channel without replying to it."""
        reply = content if isinstance(content, Reply) else Reply(text=content)
        return await self.bot.send(self.message.channel, reply)

    async def get_setting(self, key: str, default: Any = None) -> Any:
        """A value this plugin stored for this guild (or for DMs), else ``default``."""
        return await self.storage.get_setting(self.plugin, self.guild_id, key, default)

    async def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value for this plugin and guild."""
        await self.storage.set_setting(self.plugin, self.guild_id, key, value)
