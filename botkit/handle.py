"""A plugin's scoped handle: everything of the running bot that one plugin may use."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from botkit.commands import Command, Permission, allowed
from botkit.gate import LIMITS
from botkit.models import Channel, Message, Reply, Sent, User
from botkit.paths import inside
from botkit.results import Refusal

if TYPE_CHECKING:
    from botkit.adapters.base import Voice
    from botkit.commands import CommandTable
    from botkit.config import Config
    from botkit.gate import Gate
    from botkit.metrics import Metrics
    from botkit.outbox import Outbox
    from botkit.plugins import Plugins
    from botkit.server_config import ServerConfig
    from botkit.storage import Storage
    from botkit.switches import Switches


@attrs.frozen
class Capabilities:
    """What the chat platform can do, as plugins see it."""

    adapter: str = "none"
    bot_user_id: str = ""  # the bot's own user id on this platform
    text_limit: int = 2000
    can_edit: bool = False
    voice: Voice | None = None  # voice channels (join, play); None where the platform has none
    voice_notes: bool = False  # replies may carry ``File(voice=True)`` voice messages


class Parts(Protocol):
    """What a handle reads of the running bot (the composition root provides it)."""

    config: Config
    settings: dict[str, Any]
    server_config: ServerConfig
    storage: Storage
    capabilities: Capabilities
    clock: Callable[[], float]
    wall_clock: Callable[[], float]
    plugins: Plugins
    commands: CommandTable
    switches: Switches
    gate: Gate
    outbox: Outbox
    handle: Callable[[Message], Awaitable[None]]  # the dispatcher's, for what was heard
    metrics: Metrics
    web: Counting


class Counting(Protocol):
    """Who counts the tokens used while a message is handled (the web console's usage)."""

    def tokens(self, count: int) -> None: ...


class PluginHandle:
    """One plugin's view of the running bot (``ctx.plugin``, and ``plugin`` in bot-level hooks).

    It never exposes the bot itself: hook calls go through it with the server's plugin
    switches applied and the calling plugin left out.
    """

    def __init__(self, parts: Parts, name: str) -> None:
        self._parts = parts
        self.name = name
        self.state: Any = None  # free for the plugin, for as long as this bot runs
        self.log = logging.getLogger(f"botkit.plugin.{name}")

    def __repr__(self) -> str:
        return f"<PluginHandle {self.name}>"

    # --- settings and storage ---

    @property
    def settings(self) -> Any:
        """The plugin's settings from the configuration file (None if it declares none)."""
        return self._parts.settings.get(self.name)

    def settings_for(self, guild_id: str | None) -> Any:
        """The settings with this server's ``!config`` values applied."""
        return self._parts.server_config.merged(self.name, self.settings, guild_id)

    @property
    def storage(self) -> Storage:
        """The bot's database: ``session``, ``engine``, ``dialect``, ``insert(table)``."""
        return self._parts.storage

    async def get_value(self, guild_id: str | None, key: str, default: Any = None) -> Any:
        """A JSON value this plugin stored for a server (None: direct messages)."""
        return await self._parts.storage.get_setting(self.name, guild_id, key, default)

    async def set_value(self, guild_id: str | None, key: str, value: Any) -> None:
        await self._parts.storage.set_setting(self.name, guild_id, key, value)

    # --- files ---

    @property
    def data_dir(self) -> Path:
        """The one directory the bot writes to."""
        return self._parts.config.data_dir

    @property
    def files_dir(self) -> Path:
        """Inside ``data_dir``: the files ``!getfile`` may send."""
        return self._parts.config.files_dir

    def resolve(self, user_path: str, root: Path | None = None) -> Path:
        """A path from chat, resolved inside ``root`` (default ``data_dir``) or ``UnsafePath``."""
        return inside(root or self.data_dir, user_path)

    # --- the host's settings plugins may read ---

    @property
    def prefix(self) -> str:
        return self._parts.config.bot.prefix

    @property
    def max_attachment_bytes(self) -> int:
        return int(self._parts.config.bot.max_attachment_mb * 1024 * 1024)

    @property
    def hook_timeout(self) -> float:
        return self._parts.config.bot.hook_timeout

    @property
    def clock(self) -> Callable[[], float]:
        """Monotonic seconds (injected in tests)."""
        return self._parts.clock

    def now(self) -> float:
        """Wall-clock seconds since the epoch (injected in tests)."""
        return self._parts.wall_clock()

    @property
    def capabilities(self) -> Capabilities:
        return self._parts.capabilities

    def allowed(self, user: User, permission: Permission) -> bool:
        """Whether ``user`` has ``permission`` (everyone, server admin, bot owner)."""
        return allowed(user, permission)

    # --- other plugins ---

    async def call_all(self, hook: str, /, *, in_guild: str | None = None, **kwargs: Any) -> list:
        """Every other plugin's implementation of a runtime hook, as (plugin, result) pairs;
        plugins switched off in server ``in_guild`` are left out. Hook arguments go as keywords
        (``ctx`` and ``plugin`` are filled in for each plugin); given ``ctx=`` (the message being
        handled), its space is ``in_guild`` and the hook's ``guild_id``."""
        in_guild = _space_of(in_guild, kwargs)
        skip = self._parts.switches.off(in_guild) | {self.name}
        return await self._parts.plugins.call_all(hook, skip=skip, **kwargs)

    async def call_first(self, hook: str, /, *, in_guild: str | None = None, **kwargs: Any) -> Any:
        """The first other plugin's non-None answer to a runtime hook (arguments as for
        :meth:`call_all`)."""
        in_guild = _space_of(in_guild, kwargs)
        skip = self._parts.switches.off(in_guild) | {self.name}
        return await self._parts.plugins.call_first(hook, skip=skip, **kwargs)

    def implements(self, hook: str) -> list[str]:
        """The loaded plugins that implement ``hook``."""
        return self._parts.plugins.implements(hook)

    def has_command(self, name: str) -> bool:
        """Whether a command (or alias) of that name is installed, e.g. before suggesting it."""
        return name.lower() in self._parts.commands.by_name

    def command(self, name: str) -> Command | None:
        """The installed command ``name`` (a name or alias, as typed after the prefix) names."""
        cmd, _, rest = self._parts.commands.find(name)
        return None if rest else cmd

    def commands(self) -> list[Command]:
        """Every installed command, by name."""
        return self._parts.commands.unique()

    def loaded(self, plugin: str) -> bool:
        """Whether plugin ``plugin`` is loaded and running."""
        status = self._parts.plugins.statuses.get(plugin)
        return status is not None and status.state == "ok"

    def is_owner(self, user_id: str) -> bool:
        """Whether ``user_id`` is one of the bot's owners."""
        return user_id in self._parts.config.bot.owner_ids

    async def refusal(self, command: Command, message: Message) -> Refusal | None:
        """Why ``message.author`` may not run ``command`` where ``message`` was sent, decided
        as for a typed command but without the limits that last only a while; None when
        they may. Changes nothing."""
        verdict = await self._parts.gate.decide(command, message)
        if not verdict.refused or verdict.kind in LIMITS:
            return None
        return Refusal(verdict.reason, not verdict.reply, verdict.kind)

    # --- posting outside a message's handling ---

    async def send(self, channel: Channel, content: str | Reply) -> list[Sent]:
        """Post in ``channel`` from a background task (a finished job, a reminder)."""
        reply = content if isinstance(content, Reply) else Reply(text=content)
        return await self._parts.outbox.send(channel, reply)

    async def hear(self, message: Message) -> None:
        """Handle ``message`` as if its author had sent it (what someone said in a voice
        channel, transcribed): marked ``spoken``, it is answered wherever it is posted."""
        await self._parts.handle(attrs.evolve(message, spoken=True))

    # --- metrics ---

    def count_tokens(self, prompt: int = 0, completion: int = 0) -> None:
        """Add chat tokens used (prompt and completion) to ``botkit_chat_tokens`` and to the
        web console's usage of the server whose message is being handled."""
        self._parts.metrics.tokens(self.name, int(prompt), int(completion))
        self._parts.web.tokens(int(prompt) + int(completion))

    def set_queue_depth(self, depth: int, queue: str = "voice") -> None:
        """Set how many jobs wait in one of this plugin's queues (``botkit_queue_depth``)."""
        self._parts.metrics.queue_depth(self.name, queue, int(depth))

    def set_job_counts(self, counts: Mapping[str, int]) -> None:
        """Set this plugin's jobs by state (``botkit_jobs``), e.g. ``{"running": 1}``."""
        self._parts.metrics.jobs(self.name, counts)


def _space_of(in_guild: str | None, kwargs: dict[str, Any]) -> str | None:
    """``in_guild``, else the space of the ``ctx`` among the hook's arguments (which then
    also gets it as ``guild_id``)."""
    ctx = kwargs.get("ctx")
    if ctx is None:
        return in_guild
    kwargs.setdefault("guild_id", ctx.space)
    return ctx.space if in_guild is None else in_guild


def wall_clock() -> float:
    return time.time()
