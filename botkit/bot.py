"""The composition root: plugins, settings, commands, gate, outbox and dispatcher put
together, and the life cycle around them. The message flow itself is botkit/dispatch.py."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from botkit import builtin, permissions
from botkit.adapters.base import Adapter
from botkit.commands import Command, CommandTable
from botkit.config import Config, ConfigError
from botkit.dispatch import NOT_LOADED, Dispatcher
from botkit.gate import Gate
from botkit.handle import Capabilities, PluginHandle, wall_clock
from botkit.metrics import create as create_metrics
from botkit.migrations import Schema, upgrade
from botkit.outbox import Outbox
from botkit.plugins import Plugins
from botkit.server_config import ServerConfig
from botkit.switches import Switches
from botkit.tools import Toolbox
from botkit.web.console import create as create_web

if TYPE_CHECKING:
    from botkit.storage import Storage

log = logging.getLogger("botkit")

HOST_SECTIONS = {"bot", "storage", "plugins", "console", "logging", "metrics", "web"}


class StartupError(Exception):
    """The bot cannot start; the message says why."""


class Handles(dict[str, PluginHandle]):
    """One scoped handle per plugin, made on first use."""

    def __init__(self, parts: Bot) -> None:
        super().__init__()
        self.parts = parts

    def __missing__(self, name: str) -> PluginHandle:
        found = self[name] = PluginHandle(self.parts, name)
        return found


class Bot:
    """Holds everything loaded at start-up; adapters talk to its dispatcher (``Host``)."""

    def __init__(
        self,
        config: Config,
        plugins: Plugins,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = wall_clock,
    ) -> None:
        self.config = config
        self.plugins = plugins
        self.clock = clock
        self.wall_clock = wall_clock
        self.commands = CommandTable()
        self.settings: dict[str, Any] = {}
        self.web_pages: dict[str, list[Any]] = {}
        self._storage: Storage | None = None
        self.capabilities = Capabilities()
        self.switches = Switches(lambda: self.storage)
        self.server_config = ServerConfig(
            lambda: self.storage, settings=self.settings, raw=config.raw
        )
        self.ready = asyncio.Event()
        self.metrics = create_metrics(self)
        self.web = create_web(self)
        self.outbox = Outbox(
            max_messages=config.bot.max_reply_messages,
            timeout=plugins.timeout,
            clock=clock,
            replied=self.metrics.replied,
        )
        self.handles = Handles(self)
        self.tools = Toolbox(self)
        plugins.handles = self.handles
        self.gate = Gate(
            prefix=config.bot.prefix, clock=clock, switches=self.switches.off, hooks=plugins
        )
        self.dispatcher = Dispatcher(
            settings=config.bot,
            plugins=plugins,
            commands=self.commands,
            gate=self.gate,
            outbox=self.outbox,
            switches=self.switches,
            metrics=self.metrics,
            handles=self.handles.__getitem__,
            tools=self.tools,
            counted=self.web.handling,
            root=self,
        )
        self.gate.check = self.dispatcher.check
        flow = self.dispatcher  # what adapters and test kits call (botkit.Host)
        self.wants, self.handle, self.handle_command = flow.wants, flow.handle, flow.handle_command
        self.handle_invocation = flow.handle_invocation
        self.handle_reaction, self.handle_press = flow.handle_reaction, flow.handle_press
        self.context = flow.context

    @property
    def storage(self) -> Storage:
        """The database, made on first use."""
        if self._storage is None:
            from botkit.storage import Storage, default_url

            self._storage = Storage(self.config.storage.url or default_url(self.config.data_dir))
        return self._storage

    @property
    def adapter(self) -> Adapter:
        return self.outbox.adapter

    @classmethod
    def build(
        cls,
        config: Config,
        *,
        extra_plugins: Iterable[tuple[str, object]] = (),
        entry_points: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = wall_clock,
        strict: bool | None = None,
    ) -> Bot:
        """Load the built-in plugins, installed plugins and ``extra_plugins`` (name, object)."""
        plugins = Plugins(strict=strict, timeout=config.bot.hook_timeout)
        plugins.register(builtin, "builtin", "botkit", _version())
        plugins.register(permissions, "permissions", "botkit", _version())
        if entry_points:
            plugins.load_entry_points(disabled=config.plugins.disabled)
        for name, plugin in extra_plugins:
            plugins.register(plugin, name)
        bot = cls(config, plugins, clock=clock, wall_clock=wall_clock)
        bot._load_registrations()
        return bot

    def plugin_handle(self, name: str) -> PluginHandle:
        """The scoped handle of plugin ``name`` (one per plugin for this bot)."""
        return self.handles[name]

    def _load_registrations(self) -> None:
        for name, settings_cls in self.plugins.collect("botkit_settings").items():
            try:
                self.settings[name] = self.config.section(name, settings_cls)
            except ConfigError as exc:  # one line naming file, section and key; no traceback
                self.plugins.fail(name, f"{exc}; see botkit doctor", NOT_LOADED)
        unknown = set(self.config.raw) - HOST_SECTIONS - set(self.plugins.statuses)
        if unknown:  # only then are adapters looked up (that reads every installed package)
            unknown -= set(self.config.adapter_sections)
        for section in sorted(unknown):
            log.warning("config section [%s] matches no installed plugin or adapter", section)
        for name, commands in self.plugins.collect("botkit_commands").items():
            if self.plugins.statuses[name].state != "ok":
                continue
            try:
                self._add_commands(name, commands)
            except ValueError as exc:
                raise StartupError(str(exc)) from None

    def _schemas(self) -> list[Schema]:
        """Each plugin's tables and migrations, collected at start (a table definition
        imports SQLAlchemy, which listing plugins does not need)."""
        tables = self.plugins.collect("botkit_tables")
        migrations = self.plugins.collect("botkit_migrations")
        return [
            Schema(name, tables.get(name), Path(migrations[name]) if name in migrations else None)
            for name in self.plugins.statuses
            if name in tables or name in migrations
        ]

    def _add_commands(self, plugin: str, commands: list[Command]) -> None:
        for cmd in commands:
            self.commands.add(attrs.evolve(cmd, plugin=plugin))
        self.plugins.statuses[plugin].commands = sorted(c.name for c in commands)

    # --- life cycle ---

    async def start(self, adapter: Adapter) -> None:
        """Create the data directory, upgrade the schema, then run the startup hooks."""
        self.outbox.adapter = adapter
        self.capabilities = Capabilities(
            adapter=adapter.name,
            bot_user_id=adapter.bot_user_id,
            text_limit=adapter.text_limit,
            can_edit=adapter.can_edit,
            voice=adapter.voice,
            voice_notes=getattr(adapter, "voice_notes", False),
        )
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.config.files_dir.mkdir(parents=True, exist_ok=True)
        owner = next(iter(self.config.bot.owner_ids), "")
        for name, problem in await upgrade(self.storage, self._schemas(), owner):
            self.plugins.fail(name, problem, "could not create or upgrade its tables")
        self.web_pages = self.plugins.collect("botkit_web_pages")
        await self.switches.load()
        await self.server_config.load()
        await self.plugins.call_all("botkit_startup", plugin=None)
        self.ready.set()
        await self.metrics.start()
        await self.web.start()

    async def stop(self) -> None:
        self.ready.clear()
        await self.web.stop()
        await self.metrics.stop()
        await self.plugins.call_all("botkit_shutdown", plugin=None)
        self.plugins.close()
        if self._storage is not None:
            await self._storage.close()

    # --- what adapters use (botkit.Host) ---

    @property
    def prefix(self) -> str:
        """The command prefix (``!``)."""
        return self.config.bot.prefix

    @property
    def observed(self) -> bool:
        return self.dispatcher.observed

    def command_list(self) -> list[Command]:
        """Every command once, by name (for slash commands, ``setMyCommands``)."""
        return self.commands.unique()


def _version() -> str:
    from botkit import __version__

    return __version__


__all__ = ["Bot", "StartupError"]
