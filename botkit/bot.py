"""The bot: plugins, commands and settings put together, and the message flow."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any

import attrs

from botkit import builtin
from botkit.adapters.base import Adapter
from botkit.commands import Command, CommandTable, Permission, UsageError, bind
from botkit.config import BotSettings, Config, ConfigError
from botkit.context import CommandError, Context
from botkit.models import Attachment, Channel, Message, Reply, Sent, User
from botkit.plugins import Plugins
from botkit.storage import Storage, default_url
from botkit.text import split_text
from botkit.triggers import should_answer

log = logging.getLogger("botkit")

HOST_SECTIONS = {"bot", "storage", "plugins", "discord", "console", "logging"}
STREAM_EDIT_INTERVAL = 1.0
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
    ) -> None:
        self.config = config
        self.plugins = plugins
        self.clock = clock
        self.commands = CommandTable()
        self.settings: dict[str, Any] = {}
        self.storage = Storage(config.storage.url or default_url(config.data_dir))
        self.adapter: Adapter = _NoAdapter()
        self._guild_disabled: dict[str, frozenset[str]] = {}
        self._tables: list[Any] = []

    @classmethod
    def build(
        cls,
        config: Config,
        *,
        extra_plugins: Iterable[tuple[str, object]] = (),
        entry_points: bool = True,
        clock: Callable[[], float] = time.monotonic,
        strict: bool | None = None,
    ) -> Bot:
        """Load the built-in plugin, installed plugins and ``extra_plugins`` (name, object)."""
        plugins = Plugins(strict=strict, timeout=config.bot.hook_timeout)
        plugins.register(builtin, "builtin", "botkit", _version())
        if entry_points:
            plugins.load_entry_points(disabled=config.plugins.disabled)
        for name, plugin in extra_plugins:
            plugins.register(plugin, name)
        bot = cls(config, plugins, clock=clock)
        bot._load_registrations()
        return bot

    def _load_registrations(self) -> None:
        for name, settings_cls in self.plugins.collect("botkit_settings").items():
            try:
                self.settings[name] = self.config.section(name, settings_cls)
            except ConfigError as exc:
                self.plugins.fail(name, exc, "has invalid settings")
        unknown = set(self.config.raw) - HOST_SECTIONS - set(self.plugins.statuses)
        for section in sorted(unknown):
            log.warning("config section [%s] matches no installed plugin", section)
        for name, commands in self.plugins.collect("botkit_commands").items():
            if self.plugins.statuses[name].state != "ok":
                continue
            try:
                self._add_commands(name, commands)
            except ValueError as exc:
                raise StartupError(str(exc)) from None
        self._tables = list(self.plugins.collect("botkit_tables").values())

    def _add_commands(self, plugin: str, commands: list[Command]) -> None:
        for cmd in commands:
            self.commands.add(attrs.evolve(cmd, plugin=plugin))
        self.plugins.statuses[plugin].commands = sorted(c.name for c in commands)

    # --- life cycle ---

    async def start(self, adapter: Adapter) -> None:
        """Create the data directory and tables, then run the startup hooks."""
        self.adapter = adapter
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.config.files_dir.mkdir(parents=True, exist_ok=True)
        await self.storage.create_tables(self._tables)
        stored = await self.storage.settings_by_guild("botkit", DISABLED_KEY)
        self._guild_disabled = {guild: frozenset(names) for guild, names in stored.items()}
        await self.plugins.call_all("botkit_startup", bot=self)

    async def stop(self) -> None:
        await self.plugins.call_all("botkit_shutdown", bot=self)
        await self.storage.close()

    # --- message flow ---

    async def handle(self, message: Message) -> None:
        """Run one incoming message through commands or the answer pipeline."""
        if message.author.is_bot or message.author.id == self.adapter.bot_user_id:
            return
        message = self._with_owner(message)
        skip = await self.disabled_plugins(message.guild_id)
        ctx = Context(self, message)
        await self.plugins.call_all("botkit_message_received", ctx=ctx, skip=skip)
        prefix = self.config.bot.prefix
        if message.content.startswith(prefix) and len(message.content) > len(prefix):
            await self.run_command(ctx, message.content[len(prefix) :], skip)
        elif should_answer(message, self.config.bot, self.adapter.bot_user_id):
            await self.answer(ctx, skip)

    async def handle_reaction(
        self, channel: Channel, message_id: str, user: User, emoji: str, added: bool
    ) -> None:
        """Tell plugins that ``user`` reacted to the bot's message ``message_id``."""
        if user.is_bot:
            return
        message = Message(id=message_id, content="", author=user, channel=channel)
        skip = await self.disabled_plugins(channel.guild_id)
        await self.plugins.call_all(
            "botkit_reaction",
            ctx=Context(self, message),
            message_id=message_id,
            emoji=emoji,
            added=added,
            skip=skip,
        )

    def _with_owner(self, message: Message) -> Message:
        author = message.author
        if author.id in self.config.bot.owner_ids and not author.is_owner:
            author = attrs.evolve(author, is_owner=True, is_admin=True)
            message = attrs.evolve(message, author=author)
        return message

    async def run_command(self, ctx: Context, text: str, skip: frozenset[str]) -> None:
        prefix = self.config.bot.prefix
        cmd, name, args = self.commands.find(text)
        if cmd is None:
            # "!wow" in a busy channel is not for the bot: answer only a likely typo or a DM
            near = self.commands.suggest(name) if name else []
            if near or (name and ctx.message.channel.is_dm):
                hint = f" Did you mean {', '.join(prefix + n for n in near)}?" if near else ""
                await ctx.reply(f"Unknown command {prefix}{name}.{hint} See {prefix}help.")
            return
        if cmd.plugin in skip:
            await ctx.reply(f"{prefix}{cmd.name} is disabled in this server.")
            return
        refusal = permission_refusal(cmd, ctx.message.author)
        if refusal:
            log.info(
                "refused %s%s to user %s: %s", prefix, cmd.name, ctx.message.author.id, refusal
            )
            await ctx.reply(refusal)
            return
        try:
            values = bind(cmd, args, ctx.message)
        except UsageError as exc:
            await ctx.reply(f"{exc}. Usage: `{cmd.usage(prefix)}`")
            return
        log.info("command %s%s by user %s", prefix, cmd.name, ctx.message.author.id)
        await self.invoke(cmd, ctx.for_plugin(cmd.plugin), values)

    async def invoke(self, cmd: Command, ctx: Context, values: dict[str, Any]) -> None:
        """Run a command callback and send what it returns; errors become short replies."""
        try:
            async with asyncio.timeout(self.plugins.timeout):
                result = await cmd.callback(ctx, **values)
        except CommandError as exc:
            log.info("%s%s refused: %s", ctx.prefix, cmd.name, exc)
            await ctx.reply(str(exc))
            return
        except TimeoutError:
            log.error("command %s of plugin %s timed out", cmd.name, cmd.plugin)
            await ctx.reply(f"{ctx.prefix}{cmd.name} took too long and was stopped.")
            return
        except Exception:
            self.plugins.statuses[cmd.plugin].failures += 1
            log.exception("command %s of plugin %s failed", cmd.name, cmd.plugin)
            await ctx.reply(f"{ctx.prefix}{cmd.name} failed; the details are in the bot's log.")
            return
        if result is not None:
            await ctx.reply(result)

    async def answer(self, ctx: Context, skip: frozenset[str]) -> None:
        """Answer a plain message; a hook raising CommandError is answered with its text."""
        try:
            await self._answer(ctx, skip)
        except CommandError as exc:
            log.info("answer to message %s refused: %s", ctx.message.id, exc)
            await ctx.reply(str(exc))

    async def _answer(self, ctx: Context, skip: frozenset[str]) -> None:
        """Transcribe audio, gather context, ask the respond hook, deliver or send the answer."""
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
        snippets = [
            s
            for _, found in await self.plugins.call_all(
                "botkit_context", ctx=ctx, text=text, skip=skip
            )
            for s in found
        ]
        async with self.adapter.typing(message.channel):
            result = await self.plugins.call_first(
                "botkit_respond", ctx=ctx, text=text, snippets=snippets, skip=skip
            )
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
        return transcript.strip()

    async def deliver(self, ctx: Context, reply: Reply, skip: frozenset[str]) -> None:
        """Stream or send the reply, letting a deliver hook (voice) take it over."""
        if reply.stream is not None:
            text = await self.stream(ctx.message.channel, reply, ctx.message.id)
            if reply.speak and text:
                spoken = attrs.evolve(reply, text=text, stream=None)
                await self.plugins.call_first("botkit_deliver", ctx=ctx, reply=spoken, skip=skip)
            return
        if reply.speak and await self.plugins.call_first(
            "botkit_deliver", ctx=ctx, reply=reply, skip=skip
        ):
            return
        await ctx.reply(reply)

    # --- sending ---

    async def send(self, channel: Channel, reply: Reply, reply_to: str | None = None) -> list[Sent]:
        """Send text split at the adapter's limit; files go with the last part."""
        chunks = split_text(reply.text, self.adapter.text_limit) or [""]
        sent = []
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            if not chunk and not (last and reply.files):
                continue
            files = reply.files if last else ()
            sent.append(
                await self.adapter.send(channel, chunk, files, reply_to if i == 0 else None)
            )
        return sent

    async def stream(self, channel: Channel, reply: Reply, reply_to: str | None) -> str:
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
        chunks = split_text(text, limit)
        if first is None:
            if chunks or reply.files:
                await self.send(channel, attrs.evolve(reply, stream=None, text=text), reply_to)
            return text
        if chunks and chunks[0] != shown:
            await self.adapter.edit(first, chunks[0])
        rest = "\n".join(chunks[1:])
        if rest or reply.files:
            await self.send(channel, Reply(text=rest, files=reply.files))
        return text

    # --- per-guild plugin switches ---

    async def disabled_plugins(self, guild_id: str | None) -> frozenset[str]:
        """Plugins switched off in this guild (loaded once at start, kept current here)."""
        return self._guild_disabled.get(guild_id or "", frozenset())

    async def set_plugin_enabled(self, guild_id: str, plugin: str, enabled: bool) -> None:
        names = set(await self.disabled_plugins(guild_id))
        (names.discard if enabled else names.add)(plugin)
        await self.storage.set_setting("botkit", guild_id, DISABLED_KEY, sorted(names))
        self._guild_disabled[guild_id] = frozenset(names)


def permission_refusal(cmd: Command, user: User) -> str | None:
    """Why ``user`` may not run ``cmd``, or None."""
    if cmd.permission is Permission.OWNER and not user.is_owner:
        return "Only the bot's owner can use this command."
    if cmd.permission is Permission.ADMIN and not (user.is_admin or user.is_owner):
        return "Only server admins (Manage Server) can use this command."
    return None


def _version() -> str:
    from botkit import __version__

    return __version__


class _NoAdapter:
    """Stands in until an adapter starts the bot."""

    name = "none"
    text_limit = 2000
    can_edit = False
    bot_user_id = ""
    voice = None

    async def send(self, channel: Channel, text: str, files: Any, reply_to: str | None) -> Sent:
        raise RuntimeError("the bot has no adapter yet")

    async def edit(self, sent: Sent, text: str) -> Sent:
        raise RuntimeError("the bot has no adapter yet")

    async def fetch_message(self, channel: Channel, message_id: str) -> None:
        return None

    def typing(self, channel: Channel) -> nullcontext[None]:
        return nullcontext()

    async def run(self, bot: Bot) -> None:
        raise RuntimeError("no adapter")


__all__ = ["Bot", "BotSettings", "StartupError", "permission_refusal"]
