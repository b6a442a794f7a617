"""The Discord adapter: discord.py events in, botkit replies out.

discord.py runs every gateway event in a task of its own, so one slow handler never delays
another; the adapter keeps a reference to each handling task (``tasks``), logs what fails in
it, and waits for the running ones before it shuts down.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

import aiohttp
import attrs
import discord
from discord import app_commands

from botkit.adapters.discord import convert, slash
from botkit.adapters.discord.settings import MESSAGE_CONTENT_HELP, DiscordSettings, make_intents
from botkit.adapters.discord.voice import DiscordVoice
from botkit.commands import Command
from botkit.models import Channel, ChannelKind, File, Message, ReferencedMessage, Sent, User

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.discord")

NO_MENTIONS = discord.AllowedMentions.none()
MISSING: Any = discord.utils.MISSING
USER_MESSAGES = (discord.MessageType.default, discord.MessageType.reply)
FILES_PER_MESSAGE = 10
SENT_IDS_KEPT = 10_000
DRAIN_TIMEOUT = 10.0
TOKEN_HELP = (
    "copy a new token from https://discord.com/developers/applications -> your application -> "
    "Bot -> Reset Token, and set DISCORD_TOKEN to it"
)


class DiscordStartError(Exception):
    """The bot cannot run on Discord; the message is one line saying why and what to do."""


def make_client(settings: DiscordSettings) -> discord.Client:
    """A discord.Client, or an AutoShardedClient when ``shard_count`` is set."""
    options: dict[str, Any] = {
        "intents": make_intents(settings),
        "allowed_mentions": NO_MENTIONS,
        "guild_ready_timeout": settings.guild_ready_timeout,
        "chunk_guilds_at_startup": False,
    }
    if settings.sharded:
        return discord.AutoShardedClient(
            shard_count=settings.shard_count, shard_ids=settings.shard_ids or None, **options
        )
    return discord.Client(**options)


class DiscordAdapter:
    """The botkit Adapter protocol on a discord.py client."""

    name = "discord"
    text_limit = 2000
    can_edit = True

    def __init__(self, bot: Bot, token: str, settings: DiscordSettings | None = None) -> None:
        self.bot = bot
        self.settings = settings or bot.config.section("discord", DiscordSettings)
        self._token = token
        self.client = make_client(self.settings)
        self.tree = app_commands.CommandTree(self.client)
        self.voice = DiscordVoice(self.client, self.settings.voice_timeout)
        self.bot_user_id = ""
        self.tasks: set[asyncio.Task[Any]] = set()
        self.connected = asyncio.Event()
        self.ready = asyncio.Event()
        self.slash_commands = slash.register(self.tree, bot.commands.unique(), self._invoke_slash)
        self._converter = convert.Converter(0)
        self._self_id = 0
        self._followups = slash.Followups()
        self._sent: OrderedDict[int, None] = OrderedDict()
        self._closing = False
        self._observed = True  # whether plugins watch every message (set once the bot runs)
        for handler in (
            self.on_connect,
            self.on_ready,
            self.on_message,
            self.on_raw_reaction_add,
            self.on_raw_reaction_remove,
        ):
            self.client.event(handler)

    def __repr__(self) -> str:
        return f"<DiscordAdapter bot_user_id={self.bot_user_id!r}>"

    # --- life cycle ---

    async def serve(self) -> None:
        """Log in, start the bot, stay connected until closed; then stop the bot.

        Raises DiscordStartError (one line) when Discord cannot be reached or refuses.
        """
        try:
            await self.login()
            await self.bot.start(self)
            self._observed = bool(self.bot.plugins.implements("botkit_message_received"))
            try:
                if self.settings.sync_commands:
                    await self.sync_commands()
                await self.run(self.bot)
            finally:
                await self.close()
                await self.bot.stop()
        finally:
            await self.close()

    async def login(self) -> None:
        """Check the token over HTTP and learn who the bot and its owners are."""
        timeout = self.settings.connect_timeout
        try:
            await asyncio.wait_for(self.client.login(self._token), timeout)
        except discord.LoginFailure:
            raise DiscordStartError(f"Discord rejected the token; {TOKEN_HELP}") from None
        except TimeoutError:
            raise DiscordStartError(
                f"Discord did not answer within {timeout:g} s; check the network"
            ) from None
        except discord.HTTPException as exc:
            raise DiscordStartError(f"Discord refused the login: {_describe(exc)}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise DiscordStartError(f"cannot reach Discord: {exc}") from None
        user = self.client.user
        assert user is not None
        self._self_id = user.id
        self.bot_user_id = str(user.id)
        self._converter = convert.Converter(user.id, self._owner_ids())
        self._log_intents()

    def _owner_ids(self) -> set[int]:
        app = self.client.application
        if app is None:
            return set()
        if app.team is not None:
            return {member.id for member in app.team.members}
        return {app.owner.id}

    def _log_intents(self) -> None:
        if not self.settings.message_content:
            log.warning(
                "message-content intent off: in servers the bot sees only mentions and slash "
                "commands; to use prefix commands and plain messages, %s, then set "
                "[discord] message_content = true",
                MESSAGE_CONTENT_HELP,
            )
            return
        flags = self.client.application_flags
        if not (flags.gateway_message_content or flags.gateway_message_content_limited):
            log.warning(
                "the message-content intent is not enabled for this application; %s "
                "(or set [discord] message_content = false)",
                MESSAGE_CONTENT_HELP,
            )

    async def run(self, bot: Bot) -> None:
        """Stay connected to the gateway until the client is closed."""
        unreachable = (
            f"cannot reach the Discord gateway within {self.settings.connect_timeout:g} s; "
            "check the network"
        )
        connection = asyncio.create_task(self.client.connect(reconnect=True), name="discord")
        connected = asyncio.create_task(self.connected.wait())
        try:
            await asyncio.wait(
                {connection, connected},
                timeout=self.settings.connect_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not connection.done() and not connected.done():
                raise DiscordStartError(unreachable)
            await connection
        except discord.PrivilegedIntentsRequired:
            raise DiscordStartError(
                f"Discord refused the message-content intent; {MESSAGE_CONTENT_HELP}, or set "
                "[discord] message_content = false"
            ) from None
        except discord.ConnectionClosed as exc:
            raise DiscordStartError(
                f"Discord closed the gateway connection (code {exc.code})"
            ) from None
        except discord.GatewayNotFound:
            raise DiscordStartError("Discord's gateway cannot be found; try again later") from None
        except DiscordStartError:
            raise
        except Exception:
            if self.connected.is_set():
                raise
            # discord.py 2.7 fails on its first retry when the first connection never opened
            raise DiscordStartError(unreachable) from None
        finally:
            connected.cancel()
            if not connection.done():
                connection.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await connection

    async def close(self) -> None:
        """Stop taking events, let running handlers finish, then disconnect."""
        if self.client.is_closed():
            return
        self._closing = True
        await self.drain()
        for guild in self.client.guilds:
            if guild.voice_client is not None:
                with suppress(Exception):
                    await guild.voice_client.disconnect(force=True)
        await self.client.close()

    async def drain(self) -> None:
        """Wait (up to DRAIN_TIMEOUT seconds) for the messages being handled."""
        running = {t for t in self.tasks if t is not asyncio.current_task()}
        if running:
            await asyncio.wait(running, timeout=DRAIN_TIMEOUT)

    async def sync_commands(self) -> list[str]:
        """Register the slash commands with Discord (globally, or in ``sync_guild_ids``)."""
        guilds = [discord.Object(int(g)) for g in self.settings.sync_guild_ids]
        try:
            if guilds:
                for guild in guilds:
                    self.tree.copy_global_to(guild=guild)
                    synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
        except discord.HTTPException as exc:
            raise DiscordStartError(f"syncing slash commands failed: {_describe(exc)}") from None
        names = [c.name for c in synced]
        where = f"in {len(guilds)} server(s)" if guilds else "globally"
        log.info("synced %d slash commands %s: %s", len(names), where, ", ".join(names))
        return names

    # --- events ---

    async def on_connect(self) -> None:
        self.connected.set()

    async def on_ready(self) -> None:
        self.ready.set()
        log.info(
            "on Discord as %s (id %s) in %d server(s); %d slash command(s) defined",
            self.client.user,
            self.bot_user_id,
            len(self.client.guilds),
            len(self.slash_commands),
        )

    async def on_message(self, message: discord.Message) -> None:
        if self._closing or message.author.bot or message.type not in USER_MESSAGES:
            return
        if not self._observed and not self._converter.addressed(message, self.bot.config.bot):
            return  # no plugin watches every message, and this one is not for the bot
        await self._guarded(self._handle_message(message), "message", message.id)

    async def _handle_message(self, message: discord.Message) -> None:
        await self.bot.handle(self._converter.message(message))

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._guarded(self._reaction(payload, True), "reaction on", payload.message_id)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._guarded(self._reaction(payload, False), "reaction on", payload.message_id)

    async def _reaction(self, payload: discord.RawReactionActionEvent, added: bool) -> None:
        if self._closing or payload.user_id == self._self_id or not self._authored(payload):
            return
        await self.bot.handle_reaction(
            self._channel(payload.channel_id, payload.guild_id),
            str(payload.message_id),
            self._reaction_user(payload),
            str(payload.emoji),
            added,
        )

    def _authored(self, payload: discord.RawReactionActionEvent) -> bool:
        """Whether the reaction is on one of the bot's messages."""
        if payload.message_author_id is not None:
            return payload.message_author_id == self._self_id
        if payload.message_id in self._sent:
            return True
        cached = discord.utils.get(self.client.cached_messages, id=payload.message_id)
        return cached is not None and cached.author.id == self._self_id

    def _reaction_user(self, payload: discord.RawReactionActionEvent) -> User:
        author = payload.member or self.client.get_user(payload.user_id)
        if author is None:
            return User(id=str(payload.user_id), name="")
        return self._converter.user(author)

    def _channel(self, channel_id: int, guild_id: int | None) -> Channel:
        found = self.client.get_channel(channel_id)
        if found is not None:
            return self._converter.channel(found)
        kind = ChannelKind.GUILD_TEXT if guild_id else ChannelKind.DM
        return Channel(id=str(channel_id), kind=kind, guild_id=str(guild_id) if guild_id else None)

    async def _guarded(self, work: Coroutine[Any, Any, None], what: str, about: object) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await work
        except discord.HTTPException as exc:
            log.warning("%s %s: Discord answered %s", what, about, _describe(exc))
        except Exception:
            log.exception("%s %s failed", what, about)
        finally:
            self.tasks.discard(task)

    # --- slash commands ---

    async def _invoke_slash(
        self, cmd: Command, interaction: discord.Interaction, values: dict[str, Any]
    ) -> None:
        await self._guarded(self._answer_slash(cmd, interaction, values), "slash command", cmd.name)

    async def _answer_slash(
        self, cmd: Command, interaction: discord.Interaction, values: dict[str, Any]
    ) -> None:
        if self._closing:
            return
        await interaction.response.defer(thinking=True)
        if interaction.channel is not None:
            channel = self._converter.channel(interaction.channel)
        else:
            channel = self._channel(interaction.channel_id or 0, interaction.guild_id)
        loop = asyncio.get_running_loop()
        reply = slash.InteractionReply(interaction, channel.id, loop.time())
        token = slash.current_interaction.set(reply)
        try:
            await self._run_slash(cmd, interaction, values, channel)
        finally:
            slash.current_interaction.reset(token)
        if not reply.answered:
            with suppress(discord.HTTPException):
                await interaction.delete_original_response()

    async def _run_slash(
        self,
        cmd: Command,
        interaction: discord.Interaction,
        values: dict[str, Any],
        channel: Channel,
    ) -> None:
        prefix = self.bot.config.bot.prefix
        try:
            content = slash.prefix_text(cmd, values, prefix)
        except slash.SlashArgumentError as exc:
            await self.send(channel, f"{exc}. Usage: `{cmd.usage(prefix)}`", (), None)
            return
        files = [values.get(slash.option_name(p)) for p in cmd.parameters]
        message = Message(
            id=str(interaction.id),
            content=content,
            author=self._converter.user(interaction.user),
            channel=channel,
            attachments=tuple(
                convert.attachment(f) for f in files if isinstance(f, discord.Attachment)
            ),
            created_at=convert.created_at(interaction.id),
        )
        await self.bot.handle(message)

    # --- sending ---

    def _messageable(self, channel_id: str, guild_id: str | None = None, dm: bool = False) -> Any:
        found = self.client.get_channel(int(channel_id))
        if isinstance(found, discord.abc.Messageable):
            return found
        return self.client.get_partial_messageable(
            int(channel_id),
            guild_id=int(guild_id) if guild_id else None,
            type=discord.ChannelType.private if dm else None,
        )

    def _target(self, channel: Channel) -> Any:
        return self._messageable(channel.id, channel.guild_id, channel.kind is ChannelKind.DM)

    async def send(
        self, channel: Channel, text: str, files: tuple[File, ...], reply_to: str | None
    ) -> Sent:
        """Post one message (files beyond Discord's ten per message follow in more messages)."""
        attached = await _discord_files(files) if files else []
        batches = [
            attached[i : i + FILES_PER_MESSAGE] for i in range(0, len(attached), FILES_PER_MESSAGE)
        ]
        first = await self._post(channel, text or None, batches[0] if batches else [], reply_to)
        for batch in batches[1:]:
            await self._post(channel, None, batch, None)
        return Sent(id=str(first.id), channel_id=str(first.channel.id), text=text, files=files)

    async def _post(
        self, channel: Channel, text: str | None, files: list[discord.File], reply_to: str | None
    ) -> discord.Message:
        reply = slash.current_interaction.get()
        if reply is not None and reply.usable_for(channel.id, asyncio.get_running_loop().time()):
            webhook = reply.interaction.followup
            message = await webhook.send(
                content=text, files=files or MISSING, allowed_mentions=NO_MENTIONS, wait=True
            )
            reply.answered = True
            self._followups.add(str(message.id), webhook)
        else:
            reference = None
            if reply_to and reply_to.isdigit():
                reference = discord.MessageReference(
                    message_id=int(reply_to),
                    channel_id=int(channel.id),
                    guild_id=int(channel.guild_id) if channel.guild_id else None,
                    fail_if_not_exists=False,
                )
            message = await self._target(channel).send(
                content=text,
                files=files or None,
                reference=reference,
                allowed_mentions=NO_MENTIONS,
                mention_author=False,
            )
        self._remember(message.id)
        return message

    def _remember(self, message_id: int) -> None:
        self._sent[message_id] = None
        if len(self._sent) > SENT_IDS_KEPT:
            self._sent.popitem(last=False)

    async def edit(self, sent: Sent, text: str) -> Sent:
        webhook = self._followups.get(sent.id)
        if webhook is not None:
            await webhook.edit_message(int(sent.id), content=text, allowed_mentions=NO_MENTIONS)
        else:
            partial = self._messageable(sent.channel_id).get_partial_message(int(sent.id))
            await partial.edit(content=text, allowed_mentions=NO_MENTIONS)
        return attrs.evolve(sent, text=text)

    async def fetch_message(self, channel: Channel, message_id: str) -> ReferencedMessage | None:
        """A message of this channel by id; None when unknown, unreadable or not an id."""
        message_id = message_id.strip()
        if not message_id.isdigit() or len(message_id) > 20:
            return None
        wanted = int(message_id)
        cached = discord.utils.get(self.client.cached_messages, id=wanted)
        if cached is not None and str(cached.channel.id) == channel.id:
            return self._converter.referenced(cached)
        try:
            found = await self._target(channel).fetch_message(wanted)
        except discord.HTTPException as exc:
            log.info("message %s in channel %s not fetched: %s", wanted, channel.id, _describe(exc))
            return None
        return self._converter.referenced(found)

    @asynccontextmanager
    async def typing(self, channel: Channel) -> AsyncIterator[None]:
        """Discord's typing indicator while the block runs (skipped when it cannot be shown)."""
        if slash.current_interaction.get() is not None:  # the deferred answer shows "thinking"
            yield
            return
        indicator = self._target(channel).typing()
        try:
            await indicator.__aenter__()
        except discord.HTTPException as exc:
            log.info("no typing indicator in channel %s: %s", channel.id, _describe(exc))
            indicator = None
        try:
            yield
        finally:
            if indicator is not None:
                await indicator.__aexit__(None, None, None)


async def _discord_files(files: tuple[File, ...]) -> list[discord.File]:
    contents = await asyncio.to_thread(lambda: [f.read_bytes() for f in files])
    return [
        discord.File(io.BytesIO(data), filename=f.filename)
        for f, data in zip(files, contents, strict=True)
    ]


def _describe(exc: discord.HTTPException) -> str:
    return f"{exc.status} {exc.text}".strip() if exc.text else str(exc.status)
