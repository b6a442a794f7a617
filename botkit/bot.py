"""The bot: plugins, commands and settings put together, and the message flow."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from botkit import builtin
from botkit.adapters.base import Adapter, NoAdapter
from botkit.commands import Command, CommandTable, UsageError, bind
from botkit.config import Config, ConfigError
from botkit.context import CommandError, Context
from botkit.gate import LIMITS, Gate
from botkit.handle import Capabilities, PluginHandle, wall_clock
from botkit.metrics import create as create_metrics
from botkit.migrations import Schema, upgrade
from botkit.models import Attachment, ChannelKind, File, Message, Reaction, Reply, Sent
from botkit.plugins import Plugins
from botkit.server_config import ServerConfig
from botkit.text import clean_text, split_text
from botkit.triggers import should_answer
from botkit.typing_delay import delayed_typing
from botkit.web import create as create_web

if TYPE_CHECKING:
    from botkit.storage import Storage

log = logging.getLogger("botkit")

HOST_SECTIONS = {"bot", "storage", "plugins", "console", "logging", "metrics", "web"}
STREAM_EDIT_INTERVAL = 1.0
OBSERVER_TIMEOUT = 10.0  # seconds a message_received or check hook may delay every message
DISABLED_KEY = "disabled_plugins"


class StartupError(Exception):
    """The bot cannot start; the message says why."""


class Bot:
    """Holds everything loaded at start-up and runs the message flow of DESIGN.md."""

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
        self._storage: Storage | None = None
        self.adapter: Adapter = NoAdapter()
        self.capabilities = Capabilities()
        self.server_config = ServerConfig(self)
        self.gate = Gate(
            lambda: self.storage,
            prefix=config.bot.prefix,
            clock=clock,
            switches=self.disabled_in,
            check=self._check,
        )
        self.ready = asyncio.Event()
        self.metrics = create_metrics(self)
        self.web = create_web(self)
        self._handles: dict[str, PluginHandle] = {}
        self._guild_disabled: dict[str, frozenset[str]] = {}
        self._schemas: list[Schema] = []
        self._ephemeral = itertools.count(1)
        plugins.handle = self.plugin_handle

    @property
    def storage(self) -> Storage:
        """The database, made on first use (listing plugins never imports SQLAlchemy)."""
        if self._storage is None:
            from botkit.storage import Storage, default_url

            self._storage = Storage(self.config.storage.url or default_url(self.config.data_dir))
        return self._storage

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
        """Load the built-in plugin, installed plugins and ``extra_plugins`` (name, object)."""
        plugins = Plugins(strict=strict, timeout=config.bot.hook_timeout)
        plugins.register(builtin, "builtin", "botkit", _version())
        if entry_points:
            plugins.load_entry_points(disabled=config.plugins.disabled)
        for name, plugin in extra_plugins:
            plugins.register(plugin, name)
        bot = cls(config, plugins, clock=clock, wall_clock=wall_clock)
        bot._load_registrations()
        return bot

    def plugin_handle(self, name: str) -> PluginHandle:
        """The scoped handle of plugin ``name`` (one per plugin for this bot)."""
        found = self._handles.get(name)
        if found is None:
            found = self._handles[name] = PluginHandle(self, name)
        return found

    def _load_registrations(self) -> None:
        for name, settings_cls in self.plugins.collect("botkit_settings").items():
            try:
                self.settings[name] = self.config.section(name, settings_cls)
            except ConfigError as exc:
                self.plugins.fail(name, exc, "has invalid settings")
        unknown = set(self.config.raw) - HOST_SECTIONS - set(self.plugins.statuses)
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
        tables = self.plugins.collect("botkit_tables")
        migrations = self.plugins.collect("botkit_migrations")
        self._schemas = [
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
        self.adapter = adapter
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
        for name, problem in await upgrade(self.storage, self._schemas, owner):
            self.plugins.fail(name, problem, "could not create or upgrade its tables")
        stored = await self.storage.settings_by_guild("botkit", DISABLED_KEY)
        self._guild_disabled = {guild: frozenset(names) for guild, names in stored.items()}
        await self.server_config.load()
        await self.gate.load()
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

    # --- message flow ---

    def wants(self, message: Message) -> bool:
        """The cheap check an adapter may make before costly work: a command or for the bot."""
        content = message.content
        prefix = self.config.bot.prefix
        return (content.startswith(prefix) and len(content) > len(prefix)) or should_answer(
            message, self.config.bot, self.adapter.bot_user_id
        )

    # --- what adapters read ---

    @property
    def prefix(self) -> str:
        """The command prefix (``!``)."""
        return self.config.bot.prefix

    def command_list(self) -> list[Command]:
        """Every command once, by name (for slash commands, ``setMyCommands``)."""
        return self.commands.unique()

    @property
    def observed(self) -> bool:
        """Whether some plugin watches every message (else an adapter may skip what
        :meth:`wants` says is not for the bot)."""
        return bool(self.plugins.implements("botkit_message_received"))

    def context(self, message: Message, plugin: str = "builtin") -> Context:
        return Context(message=message, plugin=self.plugin_handle(plugin), bot=self)

    async def handle(self, message: Message) -> None:
        """Run one incoming message through commands or the answer pipeline."""
        if message.author.is_bot or message.author.id == self.adapter.bot_user_id:
            return
        with self.metrics.message(), self.web.handling(message):
            message = self._with_owner(self._cleaned(message))
            ctx, skip = await self._received(message)
            prefix = self.config.bot.prefix
            if message.content.startswith(prefix) and len(message.content) > len(prefix):
                await self.run_command(ctx, message.content[len(prefix) :], skip)
            elif should_answer(message, self.config.bot, self.adapter.bot_user_id):
                await self.answer(ctx, skip)

    async def handle_command(self, message: Message, cmd: Command, values: dict[str, Any]) -> None:
        """Run ``cmd`` with arguments the adapter already bound (a slash command's options)."""
        if message.author.is_bot:
            return
        with self.metrics.message(), self.web.handling(message):
            message = self._with_owner(message)
            values = {k: clean_text(v) if isinstance(v, str) else v for k, v in values.items()}
            ctx, skip = await self._received(message)
            await self.run_bound(cmd, ctx, values, skip)

    async def _received(self, message: Message) -> tuple[Context, frozenset[str]]:
        """The message's context and the plugins off in its server, once observers saw it."""
        skip = self.disabled_in(message.space)
        ctx = self.context(message)
        if self.observed:
            await self.plugins.call_all(
                "botkit_message_received",
                ctx=ctx,
                skip=skip,
                hook_timeout=min(OBSERVER_TIMEOUT, self.plugins.timeout),
            )
        return ctx, skip

    async def handle_reaction(self, reaction: Reaction) -> None:
        """Tell plugins that a user reacted to one of the bot's messages."""
        if reaction.user.is_bot:
            return
        stand_in = Message(
            id=reaction.message_id, content="", author=reaction.user, channel=reaction.channel
        )
        await self.plugins.call_all(
            "botkit_reaction",
            ctx=self.context(stand_in),
            reaction=reaction,
            skip=self.disabled_in(reaction.space),
        )

    def _cleaned(self, message: Message) -> Message:
        content = clean_text(message.content)
        return message if content == message.content else attrs.evolve(message, content=content)

    def _with_owner(self, message: Message) -> Message:
        author = message.author
        if author.id in self.config.bot.owner_ids and not author.is_owner:
            author = attrs.evolve(author, is_owner=True, is_admin=True)
            message = attrs.evolve(message, author=author)
        return message

    async def run_command(self, ctx: Context, text: str, skip: frozenset[str]) -> None:
        cmd, name, args = self.commands.find(text)
        if cmd is None:
            await self._unknown(ctx, name)
            return
        try:
            values = bind(cmd, args, ctx.message)
        except UsageError as exc:
            await ctx.reply(f"{exc}. Usage: `{cmd.usage(self.config.bot.prefix)}`")
            return
        await self.run_bound(cmd, ctx, values, skip)

    async def run_bound(
        self, cmd: Command, ctx: Context, values: dict[str, Any], skip: frozenset[str]
    ) -> None:
        """Check the server's rules for ``cmd``, then run it with already bound arguments
        (prefix and slash commands alike)."""
        prefix = self.config.bot.prefix
        verdict = await self.gate.decide(cmd, ctx.message)
        if not verdict.refused or verdict.kind in LIMITS:  # a run takes (or is told of) a slot
            verdict = self.gate.admit(cmd, ctx.message)
        if verdict.refused:
            self.metrics.refused(cmd.name, verdict.kind)
            log.info(
                "refused %s%s to user %s: %s",
                prefix,
                cmd.name,
                ctx.message.author.id,
                verdict.reason,
            )
            if verdict.reply:
                await ctx.reply(verdict.reason)
            return
        log.debug("command %s%s by user %s", prefix, cmd.name, ctx.message.author.id)
        with self.metrics.command(cmd.name), self.gate.running(cmd, ctx.message):
            await self.invoke(cmd, ctx.for_plugin(cmd.plugin), values)

    async def _check(self, cmd: Command, message: Message) -> str | None:
        """The first plugin's reason to refuse ``cmd`` to this message's author here."""
        if not self.plugins.implements("botkit_check"):
            return None
        skip = self.disabled_in(message.space)
        return await self.plugins.call_first(
            "botkit_check",
            ctx=self.context(message),
            command=cmd,
            skip=skip,
            hook_timeout=min(OBSERVER_TIMEOUT, self.plugins.timeout),
        )

    async def _unknown(self, ctx: Context, name: str) -> None:
        """Answer "!wow" only when it is a likely typo or sent in a DM: not for the bot else."""
        prefix = self.config.bot.prefix
        if not name or not (ctx.message.channel.is_dm or self.commands.has_near(name)):
            return
        near = self.commands.suggest(name)
        hint = f" Did you mean {', '.join(prefix + n for n in near)}?" if near else ""
        await ctx.reply(f"Unknown command {prefix}{name[:40]}.{hint} See {prefix}help.")

    async def invoke(self, cmd: Command, ctx: Context, values: dict[str, Any]) -> None:
        """Run a command callback and send what it returns; errors become short replies."""
        status = self.plugins.statuses[cmd.plugin]
        try:
            async with asyncio.timeout(self.plugins.timeout):
                result = await cmd.callback(ctx, **values)
        except CommandError as exc:
            log.info("%s%s refused: %s", ctx.prefix, cmd.name, exc)
            await ctx.reply(str(exc))
            return
        except TimeoutError:
            status.timeouts += 1
            self.plugins.failed(cmd.plugin, f"command {cmd.name}", "timeout")
            log.error("command %s of plugin %s timed out", cmd.name, cmd.plugin)
            await ctx.reply(f"{ctx.prefix}{cmd.name} took too long and was stopped.")
            return
        except asyncio.CancelledError:
            if _own_cancellation():
                raise
            status.failures += 1
            self.plugins.failed(cmd.plugin, f"command {cmd.name}", "error")
            log.error("command %s of plugin %s raised CancelledError", cmd.name, cmd.plugin)
            await ctx.reply(f"{ctx.prefix}{cmd.name} failed; the details are in the bot's log.")
            return
        except Exception:
            status.failures += 1
            self.plugins.failed(cmd.plugin, f"command {cmd.name}", "error")
            log.exception("command %s of plugin %s failed", cmd.name, cmd.plugin)
            await ctx.reply(f"{ctx.prefix}{cmd.name} failed; the details are in the bot's log.")
            return
        if result is None:
            return
        if not isinstance(result, Reply | str):
            status.bad_results += 1
            self.plugins.failed(cmd.plugin, f"command {cmd.name}", "bad_result")
            log.error(
                "command %s of plugin %s returned %s, not a str or Reply",
                cmd.name,
                cmd.plugin,
                type(result).__name__,
            )
            await ctx.reply(f"{ctx.prefix}{cmd.name} failed; the details are in the bot's log.")
            return
        await ctx.reply(result)

    async def answer(self, ctx: Context, skip: frozenset[str]) -> None:
        """Answer a plain message; a hook raising CommandError is answered with its text."""
        try:
            with self.metrics.answer():
                await self._answer(ctx, skip)
        except CommandError as exc:
            log.info("answer to message %s refused: %s", ctx.message.id, exc)
            await ctx.reply(str(exc))

    async def _answer(self, ctx: Context, skip: frozenset[str]) -> None:
        """Transcribe audio, gather knowledge, ask the respond hook, deliver or send the answer."""
        message = ctx.message
        text = message.content.strip()
        audio = next((a for a in message.attachments if a.is_audio), None)
        if audio is not None:
            transcript = await self.transcribe(ctx, audio, skip)
            if transcript is None:
                return
            text = f"{text}\n{transcript}".strip()
        if not text:
            if message.attachments:
                await ctx.reply("I can read text and audio; this attachment has neither.")
            return
        async with delayed_typing(self.adapter, message.channel, self.config.bot.typing_delay):
            result = await self.respond(ctx, text, skip)
        if result is None:
            if not self.plugins.implements("botkit_respond"):
                await ctx.reply(f"No chat plugin is installed. See {ctx.prefix}help.")
            return
        reply = Reply(text=result, speak=True) if isinstance(result, str) else result
        try:
            await self.deliver(ctx, reply, skip)
        except CommandError:
            raise
        except Exception:  # e.g. a plugin's reply stream broke part-way
            log.exception("delivering the answer to message %s failed", message.id)
            await ctx.reply(
                "Something went wrong while answering; the details are in the bot's log."
            )

    async def respond(
        self,
        ctx: Context,
        text: str,
        skip: frozenset[str],
        responders_skip: frozenset[str] = frozenset(),
    ) -> Reply | str | None:
        """Knowledge snippets, then the first respond hook's answer (``responders_skip``: plugins
        that may add knowledge but not answer, e.g. the one asking through ``ctx.answer``)."""
        found = await self.plugins.call_all("botkit_knowledge", ctx=ctx, text=text, skip=skip)
        snippets = [s for _, items in found for s in items]
        return await self.plugins.call_first(
            "botkit_respond", ctx=ctx, text=text, snippets=snippets, skip=skip | responders_skip
        )

    async def answer_text(self, ctx: Context, text: str) -> Reply | None:
        """``ctx.answer``: the pipeline for ``text`` in a conversation of its own, every plugin
        enabled here taking part (the caller's own knowledge included, not its answer)."""
        own = attrs.evolve(
            ctx.message,
            id=f"ephemeral-{next(self._ephemeral)}",
            content=text,
            channel=attrs.evolve(
                ctx.message.channel,
                id=f"ephemeral-{ctx.message.channel.id}",
                kind=ChannelKind.DM if ctx.message.channel.is_dm else ctx.message.channel.kind,
            ),
            reference=None,
            attachments=(),
            ephemeral=True,
        )
        skip = self.disabled_in(ctx.space)
        caller = frozenset({ctx.plugin.name})  # adds its knowledge, but does not answer itself
        result = await self.respond(self.context(own), clean_text(text), skip, caller)
        if isinstance(result, str):
            return Reply(text=result)
        if isinstance(result, Reply) and result.stream is not None:
            pieces = [piece async for piece in result.stream]
            return attrs.evolve(result, text="".join(pieces), stream=None)
        return result

    async def transcribe(self, ctx: Context, audio: Attachment, skip: frozenset[str]) -> str | None:
        limit = self.config.bot.max_attachment_mb * 1024 * 1024
        if audio.size > limit:
            await ctx.reply(
                f"That audio is too large (limit {self.config.bot.max_attachment_mb:g} MB)."
            )
            return None
        if not self.plugins.implements("botkit_transcribe"):
            await ctx.reply("No speech-to-text plugin is installed, so I cannot hear audio.")
            return None
        transcript = await self.plugins.call_first(
            "botkit_transcribe", ctx=ctx, attachment=audio, skip=skip
        )
        if not transcript or not transcript.strip():
            await ctx.reply("I could not make out any speech in that audio.")
            return None
        return clean_text(transcript.strip())

    async def deliver(self, ctx: Context, reply: Reply, skip: frozenset[str]) -> None:
        """Stream or send the reply, letting a deliver hook (voice) take it over."""
        if reply.stream is not None:
            text = await self.stream(ctx.message.channel, reply, ctx.message.id)
            if reply.speak and text:
                spoken = attrs.evolve(reply, text=text, stream=None)
                other = await self.plugins.call_first(
                    "botkit_deliver", ctx=ctx, reply=spoken, skip=skip
                )
                if isinstance(other, Reply) and other.files:
                    await ctx.reply(Reply(files=other.files))
            return
        if reply.speak:
            other = await self.plugins.call_first("botkit_deliver", ctx=ctx, reply=reply, skip=skip)
            if other is True:
                return
            if isinstance(other, Reply):
                reply = other
        await ctx.reply(reply)

    # --- sending ---

    async def send(self, channel: Any, reply: Reply, reply_to: str | None = None) -> list[Sent]:
        """Send text split at the adapter's limit; files go with the last part. A reply longer
        than ``[bot] max_reply_messages`` messages goes as a ``reply.md`` file instead."""
        self.metrics.replied()
        text = clean_text(reply.text)
        chunks = split_text(text, self.adapter.text_limit) or [""]
        files = reply.files
        if len(chunks) > self.config.bot.max_reply_messages:
            files = (File("reply.md", data=text.encode()), *files)
            chunks = [
                f"The answer is long ({len(text):,} characters), so it is attached as reply.md."
            ]
        sent = []
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            if not chunk and not (last and files):
                continue
            sent.append(
                await self.adapter.send(
                    channel, chunk, files if last else (), reply_to if i == 0 else None
                )
            )
        return sent

    async def stream(self, channel: Any, reply: Reply, reply_to: str | None) -> str:
        """Post a streamed reply, editing it at most once a second; return the full text."""
        assert reply.stream is not None
        limit = self.adapter.text_limit
        text, shown, first, last_edit = "", "", None, 0.0
        async with asyncio.timeout(self.plugins.timeout):  # a stream may not hang forever
            async for piece in reply.stream:
                text += piece
                if not text.strip() or not self.adapter.can_edit:
                    continue
                if first is None:
                    first = await self.adapter.send(channel, text[:limit], (), reply_to)
                    shown, last_edit = text[:limit], self.clock()
                elif self.clock() - last_edit >= STREAM_EDIT_INTERVAL and text[:limit] != shown:
                    first = await self.adapter.edit(first, text[:limit])
                    shown, last_edit = text[:limit], self.clock()
        text = clean_text(text)
        chunks = split_text(text, limit)
        if first is not None:
            self.metrics.replied()
        if first is None:
            if chunks or reply.files:
                await self.send(channel, attrs.evolve(reply, stream=None, text=text), reply_to)
            return text
        if len(chunks) > self.config.bot.max_reply_messages:
            await self.adapter.edit(first, chunks[0])
            await self.send(channel, Reply(text=text, files=reply.files))
            return text
        if chunks and chunks[0] != shown:
            await self.adapter.edit(first, chunks[0])
        rest = "\n".join(chunks[1:])
        if rest or reply.files:
            await self.send(channel, Reply(text=rest, files=reply.files))
        return text

    # --- per-guild plugin switches ---

    def disabled_in(self, guild_id: str | None) -> frozenset[str]:
        """Plugins switched off in this guild (loaded once at start, kept current here)."""
        return self._guild_disabled.get(guild_id or "", frozenset())

    async def set_plugin_enabled(self, guild_id: str, plugin: str, enabled: bool) -> None:
        names = set(self.disabled_in(guild_id))
        (names.discard if enabled else names.add)(plugin)
        await self.storage.set_setting("botkit", guild_id, DISABLED_KEY, sorted(names))
        self._guild_disabled[guild_id] = frozenset(names)


def _own_cancellation() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _version() -> str:
    from botkit import __version__

    return __version__


__all__ = ["Bot", "StartupError"]
