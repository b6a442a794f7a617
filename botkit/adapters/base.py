"""What the host needs from a chat platform, and what plugins may use of its voice."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from botkit.models import Channel, File, Message, Press, Reaction, ReferencedMessage, Sent, User

if TYPE_CHECKING:
    from botkit.commands import Command
    from botkit.config import Config
    from botkit.health import Problem


class VoiceError(Exception):
    """Voice is unavailable; the message says why and what to install or do."""


class AdapterStartError(Exception):
    """The adapter cannot connect; the message is one line saying why and what to do."""


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


HEARD_RATE = 16_000  # what a hearing Voice hands on: 16-bit mono PCM at 16 kHz


class Hearing(Voice, Protocol):
    """A Voice that can also hear its voice channel (Discord); plugins find these methods
    with ``getattr`` and do without them where the platform has none."""

    async def listen(
        self,
        guild_id: str,
        heard: Callable[[User, bytes], None] | None,
        wants: Callable[[str], bool] | None = None,
    ) -> None:
        """Hand the sound of the people ``wants(user_id)`` accepts in the guild's voice channel
        to ``heard(user, pcm)`` (on the event loop, ``HEARD_RATE`` PCM, lost packets filled
        with silence; nothing arrives while nobody speaks); ``None`` stops.

        Consent comes before processing: the sound of anyone ``wants`` refuses is dropped
        before it is decrypted or decoded. ``wants`` is asked again for every packet (so who
        is heard can change while listening), maybe outside the event loop: it must be quick
        and only read. It is required whenever ``heard`` is given (TypeError otherwise);
        ``lambda user_id: True`` hears everyone. VoiceError when it cannot hear."""

    def members(self, guild_id: str) -> list[User]:
        """The people (not bots) in the bot's voice channel of this guild."""

    def interrupt(self, guild_id: str) -> bool:
        """Stop what is playing now (``play`` returns at once); False when nothing was."""


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


class Host(Protocol):
    """What an adapter may use of the bot it is connected to."""

    prefix: str  # the command prefix, e.g. "!"
    observed: bool  # some plugin watches every message (else skip what ``wants`` rejects)

    def wants(self, message: Message) -> bool:
        """A command, or a message the trigger policy answers: worth converting fully."""

    def command_list(self) -> list[Command]:
        """Every command once (for a platform's command menu)."""

    async def handle(self, message: Message) -> None:
        """Run one incoming message through the bot."""

    async def handle_reaction(self, reaction: Reaction) -> None:
        """A reaction on one of the bot's messages."""

    async def handle_press(self, press: Press) -> None:
        """A button pressed under one of the bot's messages (an adapter with
        ``send_buttons(channel, text, files, buttons, reply_to) -> Sent``)."""

    async def handle_command(
        self, message: Message, command: Command, values: dict[str, Any]
    ) -> None:
        """Run ``command`` with its parameters already bound by name (a slash command)."""

    async def handle_invocation(self, message: Message, name: str, args: str) -> None:
        """Run the command ``name`` (a platform's ``/name``) with its argument text ``args``:
        the host binds the arguments; ``message.content`` is not parsed for a prefix."""


class Adapter(Protocol):
    """A connected chat platform. ``send`` takes text already split to ``text_limit``.

    The host drives it: ``connect(bot)`` (log in), ``bot.start``, ``run()`` (deliver events
    to ``bot.handle`` and ``bot.handle_reaction`` until closed), ``bot.stop``, ``close()``.
    """

    name: str
    text_limit: int
    can_edit: bool  # False: streamed replies are sent once, complete
    bot_user_id: str
    voice: Voice | None
    voice_notes: bool  # True: File(voice=True) is sent as a voice message

    async def connect(self, bot: Host) -> None:
        """Log in; raise AdapterStartError for a rejected token or an unreachable service."""

    async def run(self) -> None:
        """Feed events to the bot until ``close`` is called or the connection ends."""

    async def close(self) -> None:
        """Stop taking events, let running handlers finish, disconnect."""

    async def send(
        self, channel: Channel, text: str, files: tuple[File, ...], reply_to: str | None
    ) -> Sent:
        """Send one message, as a reply to message ``reply_to`` when given."""

    async def edit(self, sent: Sent, text: str) -> Sent:
        """Replace the text of a message the bot sent."""

    async def fetch_message(self, channel: Channel, message_id: str) -> ReferencedMessage | None:
        """A message of this channel by id, or None."""

    def typing(self, channel: Channel) -> AbstractAsyncContextManager[None]:
        """Show that the bot is writing while the block runs."""


@attrs.frozen
class AdapterSetup:
    """What an adapter is built from: the host's configuration, its section, its token."""

    config: Config
    settings: Any = None
    token: str = attrs.field(default="", repr=False)

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    def require_token(self, variable: str) -> str:
        """The token; AdapterStartError naming ``variable`` when it is not set. An adapter's
        ``create`` calls it, so the start fails at once, before any plugin loads."""
        if not self.token:
            raise AdapterStartError(
                f"{variable} is not set; export it, or choose another adapter with --adapter"
            )
        return self.token


class AdapterSpec(Protocol):
    """What the ``botkit.adapters`` entry point names (a module or an object)."""

    name: str
    settings: type | None
    token_env: str | None

    def create(self, setup: AdapterSetup) -> Adapter:
        """A new, unconnected adapter."""

    async def check(self, setup: AdapterSetup) -> list[Problem]:
        """Problems for ``botkit doctor`` (the token checked against the service, ...)."""

    async def sync(self, setup: AdapterSetup, commands: list[Command]) -> str:
        """Register the commands with the platform; a one-line summary."""


class NoAdapter:
    """Stands in until an adapter starts the bot."""

    name = "none"
    text_limit = 2000
    can_edit = False
    bot_user_id = ""
    voice = None
    voice_notes = False

    async def connect(self, bot: Host) -> None:
        raise AdapterStartError("no adapter")

    async def run(self) -> None:
        raise AdapterStartError("no adapter")

    async def close(self) -> None:
        return None

    async def send(self, channel: Channel, text: str, files: Any, reply_to: str | None) -> Sent:
        raise RuntimeError("the bot has no adapter yet")

    async def edit(self, sent: Sent, text: str) -> Sent:
        raise RuntimeError("the bot has no adapter yet")

    async def fetch_message(self, channel: Channel, message_id: str) -> None:
        return None

    def typing(self, channel: Channel) -> nullcontext[None]:
        return nullcontext()
