"""The context a command or hook receives: the message, and the plugin's own handle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import attrs

from botkit import waits
from botkit.commands import Permission, permission_refusal
from botkit.handle import PluginHandle
from botkit.models import File, Message, ReferencedMessage, Reply, Sent

if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextlib import AbstractContextManager

    from botkit.models import Channel
    from botkit.tools import Toolbox, ToolResult


class CommandError(Exception):
    """Raise from a command or hook to answer the user with this message (and log it)."""


class Flow(Protocol):
    """What a context needs of the message flow (the host's dispatcher)."""

    root: Any  # the composition root: for the host's own built-in commands only
    tools: Toolbox  # what the assistant may run as the author

    def handle_for(self, name: str) -> PluginHandle: ...

    async def send(
        self, channel: Channel, reply: Reply, reply_to: str | None = None
    ) -> list[Sent]: ...

    async def fetch(self, channel: Channel, message_id: str) -> ReferencedMessage | None: ...

    async def answer_text(self, ctx: Context, text: str) -> Reply | None: ...


@attrs.frozen
class Context:
    """One message being handled, as one plugin sees it."""

    message: Message
    plugin: PluginHandle
    _flow: Flow = attrs.field(repr=False, alias="flow")

    def for_plugin(self, name: str) -> Context:
        """The same message as plugin ``name`` sees it (the host calls this per hook)."""
        if name == self.plugin.name:
            return self
        return Context(self.message, self._flow.handle_for(name), self._flow)

    @property
    def settings(self) -> Any:
        """This plugin's settings, with this space's ``!config`` values applied."""
        return self.plugin.settings_for(self.space)

    @property
    def guild_id(self) -> str | None:
        """The server's id; None in a direct message."""
        return self.message.channel.guild_id

    @property
    def space(self) -> str:
        """Where this message's per-server data lives: the server's id, or ``dm:<user id>``
        in a direct message (each person's DMs are a space of their own)."""
        return self.message.space

    async def reply(self, content: str | Reply, *, files: tuple[File, ...] = ()) -> list[Sent]:
        """Answer the message (as a platform reply to it where the platform has them)."""
        reply = content if isinstance(content, Reply) else Reply(text=content, files=files)
        return await self._flow.send(self.message.channel, reply, reply_to=self.message.id)

    async def send(self, content: str | Reply) -> list[Sent]:
        """Post in the message's channel without replying to it."""
        reply = content if isinstance(content, Reply) else Reply(text=content)
        return await self._flow.send(self.message.channel, reply)

    async def fetch(self, message_id: str) -> ReferencedMessage | None:
        """A message of this channel by id (the platform's), or None when there is none."""
        return await self._flow.fetch(self.message.channel, message_id)

    async def get_setting(self, key: str, default: Any = None) -> Any:
        """A value this plugin stored for this space, else ``default``."""
        return await self.plugin.get_value(self.space, key, default)

    async def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value for this plugin and space."""
        await self.plugin.set_value(self.space, key, value)

    def require(self, permission: Permission) -> None:
        """Raise CommandError unless the author has ``permission``."""
        refusal = permission_refusal(permission, self.message.author)
        if refusal:
            raise CommandError(refusal)

    async def answer(self, text: str) -> Reply | None:
        """Run the answer pipeline (knowledge, then respond) for ``text``, in a conversation of
        its own that chat memory does not keep; None when no plugin answers."""
        return await self._flow.answer_text(self, text)

    def waiting_for_person(self) -> AbstractContextManager[None]:
        """``with ctx.waiting_for_person():`` the host's time-outs around a wait for a person's
        answer stand still (your own deadline bounds it)."""
        return waits.for_person()

    async def tools(self) -> list[dict[str, Any]]:
        """The tools the author may have the assistant run here, as OpenAI function dicts."""
        return [t.function() for t in await self._flow.tools.offered(self.message)]

    async def run_tool(
        self,
        name: str,
        arguments: str | Mapping[str, Any],
        *,
        time_limit: float = 30.0,
        approval_timeout: float = 120.0,
    ) -> ToolResult:
        """Run tool ``name`` with the model's ``arguments`` as the author, through the same
        gate as a typed command and their approval where needed: ``.text`` for the model (a
        refusal says why, ``.refused``), ``.files``, ``.line`` the call shown to people."""
        return await self._flow.tools.run(
            self, name, arguments, time_limit=time_limit, approval_timeout=approval_timeout
        )


def host_of(ctx: Context) -> Any:
    """The composition root behind a context: for the host's own built-in commands only."""
    return ctx._flow.root
