"""The Discord adapter: discord.py events in, botkit replies out.

discord.py runs every gateway event in a task of its own, so one slow handler never delays
another; the adapter tracks each handling task (``handlers``, ``botkit.adapter.Handlers``),
logs what fails in it, and waits for the running ones before it shuts down.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import aiohttp
import attrs
import discord
from discord import app_commands
from discord.http import Route, handle_message_parameters

from botkit.adapter import (
    AdapterStartError,
    Attachment,
    BoundedMap,
    Button,
    Channel,
    ChannelKind,
    ClusterError,
    Command,
    File,
    Handlers,
    Host,
    IdentifyLimiter,
    Message,
    Presence,
    Press,
    Reaction,
    ReferencedMessage,
    Sent,
    ShardLeases,
    ShardStatus,
    User,
    is_postgres,
)
from botkit_discord import buttons, convert, slash
from botkit_discord.rest_limit import RestShare
from botkit_discord.settings import AUTO, MESSAGE_CONTENT_HELP, DiscordSettings
from botkit_discord.shards import ShardedClient, shard_status, use_gateway
from botkit_discord.voice import DiscordVoice

log = logging.getLogger("botkit.discord")

NO_MENTIONS = discord.AllowedMentions.none()
MISSING: Any = discord.utils.MISSING
USER_MESSAGES = (discord.MessageType.default, discord.MessageType.reply)
FILES_PER_MESSAGE = 10
SENT_IDS_KEPT = 10_000
CHANNELS_FETCHED_KEPT = 10_000
DRAIN_TIMEOUT = 10.0
IDENTIFY_WINDOW = 5.0  # seconds: Discord allows max_concurrency identifies per bucket in this
TOKEN_HELP = (
    "copy a new token from https://discord.com/developers/applications -> your application -> "
    "Bot -> Reset Token, and set DISCORD_TOKEN to it"
)


class DiscordStartError(AdapterStartError):
    """The bot cannot run on Discord; the message is one line saying why and what to do."""


def make_intents(settings: DiscordSettings) -> discord.Intents:
    """The minimum: servers, messages, reactions, voice states (and message content)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.guild_reactions = True
    intents.dm_reactions = True
    intents.voice_states = True
    intents.message_content = settings.message_content
    return intents


def make_client(
    settings: DiscordSettings, http_trace: aiohttp.TraceConfig | None = None
) -> discord.Client:
    """A discord.Client, or a sharded one when ``shard_count`` is set (leased or fixed)."""
    options: dict[str, Any] = {
        "http_trace": http_trace,
        "intents": make_intents(settings),
        "allowed_mentions": NO_MENTIONS,
        "guild_ready_timeout": settings.guild_ready_timeout,
        "chunk_guilds_at_startup": False,
    }
    if settings.sharded:
        count = settings.shard_count if isinstance(settings.shard_count, int) else None
        fixed = settings.shard_ids if isinstance(settings.shard_ids, list) else []
        return ShardedClient(
            leased=settings.leased, shard_count=count, shard_ids=fixed or None, **options
        )
    return discord.Client(**options)


class DiscordAdapter:
    """The botkit Adapter protocol on a discord.py client."""

    name = "discord"
    text_limit = 2000
    can_edit = True
    voice_notes = True

    def __init__(
        self, token: str, settings: DiscordSettings | None = None, storage_url: str = ""
    ) -> None:
        self.bot: Host | None = None
        self.settings = settings or DiscordSettings()
        self.storage_url = storage_url
        if self.settings.leased and not is_postgres(storage_url):
            raise DiscordStartError(
                'shard_ids = "leased" shares shards through PostgreSQL; set [storage] url to a '
                "postgresql+asyncpg:// database shared by every process (docs/scaling.md)"
            )
        self._token = token
        if self.settings.api_base:  # discord.py builds every REST URL from this class value
            Route.BASE = self.settings.api_base.rstrip("/")
        self.rest_share = RestShare()  # limits REST only once several processes share the token
        self.client = make_client(self.settings, self.rest_share.trace())
        self.presence: Presence | None = None
        self.tree = app_commands.CommandTree(self.client)
        self.voice = DiscordVoice(
            self.client, self.settings.voice_timeout, lambda m: self._converter.user(m)
        )
        self.bot_user_id = ""
        self.handlers = Handlers(log, _expected)
        self.connected = asyncio.Event()
        self.ready = asyncio.Event()
        self.slash_commands: list[str] = []
        self._converter = convert.Converter(0)
        self._self_id = 0
        self._followups = slash.Followups()
        self._interactions = slash.Interactions()
        self._sent: BoundedMap[int, None] = BoundedMap(SENT_IDS_KEPT)
        self._buttons: BoundedMap[int, tuple[Button, ...]] = BoundedMap(SENT_IDS_KEPT)
        self._fetched: BoundedMap[int, Channel] = BoundedMap(CHANNELS_FETCHED_KEPT)
        self._closing = False
        self._observed = True  # whether plugins watch every message (set once the bot runs)
        self.leases: ShardLeases | None = None
        self.identify_window = IDENTIFY_WINDOW
        self._shard_ready: dict[int, asyncio.Event] = {}
        for handler in (
            self.on_connect,
            self.on_ready,
            self.on_shard_ready,
            self.on_message,
            self.on_raw_reaction_add,
            self.on_raw_reaction_remove,
            self.on_interaction,
        ):
            self.client.event(handler)

    def __repr__(self) -> str:
        return f"<DiscordAdapter bot_user_id={self.bot_user_id!r}>"

    @property
    def tasks(self) -> set[asyncio.Task[Any]]:
        """The event handlers running now."""
        return self.handlers.tasks

    def is_connected(self) -> bool:
        """Whether the gateway connection (every shard's, when sharded) is open."""
        client = self.client
        if self.leases is not None:  # a standby process serving no shard is connected too
            return not client.is_closed() and all(not s.is_closed() for s in client.shards.values())
        if client.is_closed() or not client.is_ready():
            return False
        if isinstance(client, discord.AutoShardedClient):
            return bool(client.shards) and not any(s.is_closed() for s in client.shards.values())
        return client.ws is not None and client.ws.open

    # --- life cycle ---

    async def connect(self, bot: Host) -> None:
        """Define the slash commands from the bot's commands and log in over HTTP.

        Raises DiscordStartError (one line) when Discord cannot be reached or refuses.
        """
        self.bot = bot
        self.slash_commands = slash.register(self.tree, bot.command_list(), self._invoke_slash)
        await self.login()
        if self.settings.sync_commands:
            await self.sync_commands()

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

    async def run(self) -> None:
        """Stay connected to the gateway until the client is closed."""
        assert self.bot is not None, "connect first"
        self._observed = self.bot.observed
        unreachable = (
            f"cannot reach the Discord gateway within {self.settings.connect_timeout:g} s; "
            "check the network"
        )
        if isinstance(self.client, ShardedClient):
            await self._prepare_shards(self.client)
        connection = asyncio.create_task(self.client.connect(reconnect=True), name="discord")
        if self.leases is not None:
            await self._start_leases(self.leases, connection)
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

    # --- shards ---

    async def _prepare_shards(self, client: ShardedClient) -> None:
        """Ask Discord for the shard count ("auto"), the identify buckets and the session
        starts left; set up identify slots shared through PostgreSQL and, with leased
        shards, the leases. Refuses to start rather than use up the session starts."""
        try:
            recommended, url, limit = await client.http.get_bot_gateway()
        except discord.GatewayNotFound:
            raise DiscordStartError("Discord's gateway cannot be found; try again later") from None
        use_gateway(url)
        settings = self.settings
        count = recommended if settings.shard_count == AUTO else int(settings.shard_count)
        client.shard_count = count
        if is_postgres(self.storage_url):
            client.identify_limiter = IdentifyLimiter(
                self.storage_url, int(limit.get("max_concurrency") or 1), self.identify_window
            )
        from botkit_discord.doctor import shares_token  # doctor imports this module

        shared_rest = not settings.api_base and shares_token(settings)  # a share, not a proxy
        if settings.leased:
            starts = 1
        elif isinstance(settings.shard_ids, list) and settings.shard_ids:
            starts = len(settings.shard_ids)
        else:
            starts = count
        if int(limit["remaining"]) < starts:
            raise DiscordStartError(_starts_refused(limit, starts))
        if settings.leased:
            self.leases = ShardLeases(
                self.storage_url,
                count,
                start_shard=self._start_shard,
                stop_shard=client.stop_shard,
                max_shards=settings.max_shards_per_process,
                lease_seconds=settings.lease_seconds,
                capacity=self._session_starts,
                on_members=self.rest_share.share_among if shared_rest else None,
            )
        elif shared_rest and is_postgres(self.storage_url):  # fixed shards, part of the count
            self.presence = Presence(
                self.storage_url,
                count,
                self.rest_share.share_among,
                lease_seconds=settings.lease_seconds,
            )
            await self.presence.start()

    async def _start_leases(self, leases: ShardLeases, connection: asyncio.Task[None]) -> None:
        """Claim a first share of the shards and wait until those are ready."""
        try:
            await leases.start()
        except ClusterError as exc:
            connection.cancel()
            raise DiscordStartError(str(exc)) from None
        self.connected.set()
        waits = [self._shard_ready.setdefault(s, asyncio.Event()).wait() for s in leases.held]
        shards_ready = asyncio.ensure_future(asyncio.gather(*waits))
        await asyncio.wait(
            {shards_ready, connection},
            timeout=self.settings.connect_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        shards_ready.cancel()
        self.ready.set()
        log.info(
            "leased shards %s of %d as %s",
            sorted(leases.held) or "none (standing by)",
            leases.shard_count,
            leases.holder,
        )

    def _start_shard(self, shard_id: int) -> None:
        assert isinstance(self.client, ShardedClient)
        self._shard_ready.setdefault(shard_id, asyncio.Event()).clear()
        self.client.start_shard(shard_id)

    async def _session_starts(self) -> int:
        """How many more shards may be started now (Discord's session starts left)."""
        try:
            _count, _url, limit = await self.client.http.get_bot_gateway()
        except discord.GatewayNotFound:
            return 0
        left = int(limit["remaining"])
        if left <= 0:
            log.error("%s", _starts_refused(limit, 1))
        return max(0, left)

    def shard_status(self) -> list[ShardStatus] | None:
        """The shards this process serves (``/metrics``, ``/healthz``); None when unsharded."""
        if not isinstance(self.client, ShardedClient):
            return None
        return shard_status(self.client, self.leases)

    async def on_shard_ready(self, shard_id: int) -> None:
        self._shard_ready.setdefault(shard_id, asyncio.Event()).set()

    async def close(self) -> None:
        """Stop taking events, let running handlers finish, then disconnect."""
        if self.client.is_closed():
            return
        self._closing = True
        if self.leases is not None:
            await self.leases.close()  # shards closed, then handed over at once
        if isinstance(self.client, ShardedClient) and self.client.identify_limiter is not None:
            await self.client.identify_limiter.close()
        if self.presence is not None:
            await self.presence.close()
        await self.handlers.drain(DRAIN_TIMEOUT)
        for guild in self.client.guilds:
            if guild.voice_client is not None:
                with suppress(Exception):
                    await guild.voice_client.disconnect(force=True)
        await self.client.close()

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
        await self.handlers.run(self._message(message), f"message {message.id}")

    async def _message(self, message: discord.Message) -> None:
        bot = self.bot
        assert bot is not None
        ch = message.channel
        if isinstance(ch, discord.PartialMessageable) and ch.guild_id is not None:
            channel = await self._resolved(ch)
        else:
            channel = self._converter.channel(ch)  # known to discord.py: nothing to fetch
        if (
            not self._observed
            and not message.content.startswith(bot.prefix)
            and not bot.wants(self._converter.glance(message, channel))
        ):
            return  # no plugin watches every message, and this one is not for the bot
        await bot.handle(self._converter.message(message, channel))

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.handlers.run(self._reaction(payload, True), f"reaction on {payload.message_id}")

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.handlers.run(self._reaction(payload, False), f"reaction on {payload.message_id}")

    async def _reaction(self, payload: discord.RawReactionActionEvent, added: bool) -> None:
        if self._closing or payload.user_id == self._self_id or not self._authored(payload):
            return
        assert self.bot is not None
        await self.bot.handle_reaction(
            Reaction(
                message_id=str(payload.message_id),
                emoji=str(payload.emoji),
                added=added,
                user=self._reaction_user(payload),
                channel=await self._channel(payload.channel_id, payload.guild_id),
            )
        )

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        pressed = buttons.custom_id(interaction)
        if pressed is None or self._closing:
            return  # slash commands go through the command tree
        await self.handlers.run(
            self._press(interaction, pressed), f"press of {pressed} by {interaction.user.id}"
        )

    async def _press(self, interaction: discord.Interaction, pressed: str) -> None:
        """Acknowledge the click at once (a deferred update: the message stays as it is),
        then hand it on as a Press by the clicking user."""
        assert self.bot is not None
        await interaction.response.defer()
        if interaction.message is None or interaction.user.bot:
            return
        if interaction.channel is not None:
            channel = await self._resolved(interaction.channel)
        else:
            channel = await self._channel(interaction.channel_id or 0, interaction.guild_id)
        user = self._converter.user(interaction.user)
        await self.bot.handle_press(Press(str(interaction.message.id), pressed, user, channel))

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

    async def _channel(self, channel_id: int, guild_id: int | None) -> Channel:
        found = self.client.get_channel(channel_id)
        if found is not None:
            return self._converter.channel(found)
        dm = discord.ChannelType.private if guild_id is None else None
        return await self._resolved(
            self.client.get_partial_messageable(channel_id, guild_id=guild_id, type=dm)
        )

    async def _resolved(self, ch: discord.abc.Messageable | discord.abc.GuildChannel) -> Channel:
        """The botkit Channel of an event's channel. A server channel discord.py has not cached
        (a thread it never saw) is fetched once, so its kind and parent are known: a rule on
        the parent channel then holds in the thread too."""
        if not isinstance(ch, discord.PartialMessageable) or ch.guild_id is None:
            return self._converter.channel(ch)
        known = self._fetched.get(ch.id)
        if known is not None:
            return known
        try:
            found = await self.client.fetch_channel(ch.id)
        except (discord.HTTPException, discord.InvalidData) as exc:
            log.info("channel %s not fetched, its parent stays unknown: %s", ch.id, exc)
            return self._converter.channel(ch)
        resolved = convert.channel(found)
        self._fetched[ch.id] = resolved
        return resolved

    # --- slash commands ---

    async def _invoke_slash(
        self, cmd: Command, interaction: discord.Interaction, values: dict[str, Any]
    ) -> None:
        await self.handlers.run(
            self._answer_slash(cmd, interaction, values), f"slash command {cmd.name}"
        )

    async def _answer_slash(
        self, cmd: Command, interaction: discord.Interaction, values: dict[str, Any]
    ) -> None:
        if self._closing:
            return
        await interaction.response.defer(thinking=True)
        if interaction.channel is not None:
            channel = await self._resolved(interaction.channel)
        else:
            channel = await self._channel(interaction.channel_id or 0, interaction.guild_id)
        loop = asyncio.get_running_loop()
        reply = slash.InteractionReply(interaction, channel.id, loop.time())
        message_id = str(interaction.id)
        self._interactions.add(message_id, reply)
        try:
            await self._run_slash(cmd, interaction, values, channel)
        finally:
            self._interactions.pop(message_id)
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
        assert self.bot is not None
        bound = slash.bind_options(cmd, values, convert.attachment)
        message = Message(
            id=str(interaction.id),
            content=f"/{slash.slash_name(cmd.name)}",
            author=self._converter.user(interaction.user),
            channel=channel,
            attachments=tuple(v for v in bound.values() if isinstance(v, Attachment)),
            created_at=convert.created_at(interaction.id),
        )
        await self.bot.handle_command(message, cmd, bound)

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

    async def send_dm(self, user_id: str, text: str) -> Sent:
        """A direct message to a user (the web console's sign-in link)."""
        user = self.client.get_user(int(user_id)) or await self.client.fetch_user(int(user_id))
        dm = user.dm_channel or await user.create_dm()
        sent = await dm.send(text, allowed_mentions=NO_MENTIONS)
        return Sent(id=str(sent.id), channel_id=str(dm.id), text=text)

    async def send(
        self, channel: Channel, text: str, files: tuple[File, ...], reply_to: str | None
    ) -> Sent:
        """Post one message (files beyond Discord's ten per message follow in more messages);
        a ``File(voice=True)`` goes alone, as a Discord voice message."""
        voice = [f for f in files if f.voice]
        files = tuple(f for f in files if not f.voice)
        if voice and not text and not files:
            first_voice = await self._post_voice(channel, voice[0], reply_to)
            for extra in voice[1:]:
                await self._post_voice(channel, extra, None)
            return Sent(id=first_voice, channel_id=channel.id, files=tuple(voice))
        attached = await _discord_files(files) if files else []
        batches = [
            attached[i : i + FILES_PER_MESSAGE] for i in range(0, len(attached), FILES_PER_MESSAGE)
        ]
        first = await self._post(channel, text or None, batches[0] if batches else [], reply_to)
        for batch in batches[1:]:
            await self._post(channel, None, batch, None)
        for note in voice:
            await self._post_voice(channel, note, None)
        return Sent(id=str(first.id), channel_id=str(first.channel.id), text=text, files=files)

    async def send_buttons(
        self,
        channel: Channel,
        text: str,
        files: tuple[File, ...],
        options: tuple[Button, ...],
        reply_to: str | None,
    ) -> Sent:
        """One message with ``options`` as buttons under it (an action row of components)."""
        attached = await _discord_files(files) if files else []
        message = await self._post(
            channel, text or None, attached, reply_to, view=buttons.view(options)
        )
        self._buttons[message.id] = options
        return Sent(id=str(message.id), channel_id=str(message.channel.id), text=text, files=files)

    async def clear_buttons(self, channel: Channel, message_id: str) -> None:
        """Show the buttons under ``message_id`` disabled: the question has been answered."""
        options = self._buttons.pop(int(message_id), None) if message_id.isdigit() else None
        if not options:
            return
        done = buttons.view(options, disabled=True)
        webhook = self._followups.get(message_id)
        try:
            if webhook is not None:
                await webhook.edit_message(int(message_id), view=done)
            else:
                partial = self._messageable(channel.id).get_partial_message(int(message_id))
                await partial.edit(view=done)
        except discord.HTTPException as exc:
            log.info("buttons under message %s left as they were: %s", message_id, _describe(exc))

    async def _post_voice(self, channel: Channel, file: File, reply_to: str | None) -> str:
        """A voice message: OGG/Opus with duration and waveform, flag 8192, no text."""
        data = await asyncio.to_thread(file.read_bytes)
        upload = VoiceMessageFile(io.BytesIO(data), file.duration or 1.0, file.waveform or "")
        reference = self._reference(channel, reply_to)
        with handle_message_parameters(
            file=upload,
            flags=discord.MessageFlags(voice=True),
            allowed_mentions=NO_MENTIONS,
            message_reference=reference.to_message_reference_dict() if reference else MISSING,
        ) as params:
            sent = await self.client.http.send_message(int(channel.id), params=params)
        self._remember(int(sent["id"]))
        return str(sent["id"])

    def _reference(self, channel: Channel, reply_to: str | None) -> discord.MessageReference | None:
        if not (reply_to and reply_to.isdigit()):
            return None
        return discord.MessageReference(
            message_id=int(reply_to),
            channel_id=int(channel.id),
            guild_id=int(channel.guild_id) if channel.guild_id else None,
            fail_if_not_exists=False,
        )

    async def _post(
        self,
        channel: Channel,
        text: str | None,
        files: list[discord.File],
        reply_to: str | None,
        *,
        view: discord.ui.View | None = None,
    ) -> discord.Message:
        now = asyncio.get_running_loop().time()
        reply = self._interactions.usable(reply_to, channel.id, now)
        if reply is not None:
            webhook = reply.interaction.followup
            message = await webhook.send(
                content=text,
                files=files or MISSING,
                allowed_mentions=NO_MENTIONS,
                view=view or MISSING,
                wait=True,
            )
            reply.answered = True
            self._followups.add(str(message.id), webhook)
        else:
            message = await self._target(channel).send(
                content=text,
                files=files or None,
                reference=self._reference(channel, reply_to),
                allowed_mentions=NO_MENTIONS,
                mention_author=False,
                view=view,
            )
        self._remember(message.id)
        return message

    def _remember(self, message_id: int) -> None:
        self._sent[message_id] = None

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
        if self._interactions.pending_in(channel.id):  # the deferred answer shows "thinking"
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


class VoiceMessageFile(discord.File):
    """An upload Discord shows as a voice message: its attachment carries duration and waveform."""

    def __init__(self, data: io.BytesIO, duration: float, waveform: str) -> None:
        super().__init__(data, filename="voice-message.ogg")
        self.duration = duration
        self.waveform = waveform

    def to_dict(self, index: int) -> dict[str, Any]:
        return {
            **super().to_dict(index),
            "duration_secs": round(self.duration, 2),
            "waveform": self.waveform,
        }


async def _discord_files(files: tuple[File, ...]) -> list[discord.File]:
    contents = await asyncio.to_thread(lambda: [f.read_bytes() for f in files])
    return [
        discord.File(io.BytesIO(data), filename=f.filename)
        for f, data in zip(files, contents, strict=True)
    ]


def _starts_refused(limit: Any, starts: int) -> str:
    return (
        f"Discord allows {limit['remaining']} more gateway session start(s) (of "
        f"{limit['total']}) until {int(limit['reset_after']) / 1000:.0f} s from now, and "
        f"{starts} are needed; not starting, so as not to use up the rest: wait for the reset, "
        "or run fewer shards"
    )


def _describe(exc: discord.HTTPException) -> str:
    return f"{exc.status} {exc.text}".strip() if exc.text else str(exc.status)


def _expected(exc: Exception) -> str | None:
    """Discord refusing a request is logged in one line; anything else with its traceback."""
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {_describe(exc)}"
    return None
