"""A Discord test harness: the adapter's real discord.py client against a fake Discord.

    async def test_hi(discord_harness):
        async with discord_harness(plugins={"mine": my_plugin}, config={"mine": {}}) as dh:
            sent = await dh.message("!hi", author=dh.member)
            assert sent.text == "HI!"
            assert sent[0].route == f"POST /channels/{dh.channel}/messages"
            assert sent[0].json["message_reference"]["message_id"] == dh.last_message_id

``discord_harness(plugins={name: module_or_object}, config={section: {...}}, clock=...,
entry_points=False, fake=FakeDiscord(...))`` is a pytest fixture (registered by the
``botkit-testkit`` pytest plugin); outside pytest use ``start_discord_harness(..., data_dir=path)``,
or ``run_harness(bot, fake)`` for a Bot you built yourself (e.g. with every installed plugin).
``await run_discord(bot, fake.token)`` and ``await sync_commands(bot, fake.token)`` do what
``botkit run`` and ``botkit sync`` do (exit status 0 or 1, one line on stderr).

What runs is what runs in production: the adapter, run by ``botkit.testing.run_bot``, logs in (``GET
/users/@me``, ``GET /oauth2/applications/@me``), connects to the gateway, identifies and receives
READY and GUILD_CREATE, and discord.py parses and dispatches every event exactly as it does live.
Only the network is replaced: :class:`FakeDiscord` answers discord.py's HTTP requests with realistic
JSON (and records them) and plays the gateway through a fake websocket. Nothing connects to Discord.

The world (``dh.*``): a server ``dh.guild`` with text channels ``dh.channel`` (general) and
``dh.other_channel``, a voice channel ``dh.voice_channel``, a thread the bot started
``dh.bot_thread`` and one a member started ``dh.member_thread``; users ``dh.owner`` (the
application owner and server owner), ``dh.admin`` (a role with Manage Server), ``dh.member``,
``dh.other_bot`` and the bot itself ``dh.bot_user`` (``FakeUser``: ``.id``, ``.mention``).

Each call feeds gateway events, waits until the bot has finished handling them, and returns
a :class:`Replies`: the messages the bot posted (``Request`` objects with ``.route``,
``.json``, ``.files``, ``.id``), ``.text`` (their final text, edits applied), ``.requests``
(every HTTP call made meanwhile: typing, interaction callbacks, edits...):

- ``await dh.message(content, author=, channel=, attachments=[dh.attachment(...)],
  reply_to=message_id, mention=True, voice=True)`` (MESSAGE_CREATE; ``voice`` sets flag 8192)
- ``await dh.dm(content, author=)`` (a direct message)
- ``await dh.slash("getfile", author=dh.owner, path="a.txt")`` (INTERACTION_CREATE for the
  generated slash command; attachment options take ``dh.attachment(...)``; options named
  ``author`` or ``channel`` go in a dict: ``dh.slash("x", {"channel": "c"})``)
- ``await dh.react(message_id, "👍", author=dh.member, added=True)`` (MESSAGE_REACTION_ADD/REMOVE)
- ``await dh.press(message_id, "run", author=dh.owner)`` (INTERACTION_CREATE type 3: a click
  on a button the bot sent; ``dh.fake.messages[id]["components"]`` shows the buttons as they
  are now, edits applied)
- ``await dh.join_voice(user, channel)`` (VOICE_STATE_UPDATE: the user is now in voice)
- ``await dh.feed_many([dh.fake.message_event(...), ...])`` (a burst, e.g. for benchmarks;
  ``dh.fake.interaction_event``, ``reaction_event`` and ``voice_state_event`` build the others)
- ``dh.add_user(name, admin=True)``, ``await dh.add_channel(name)``: more of the world;
  ``dh.add_thread(name, parent=dh.channel)``: a thread the gateway never announced, so
  discord.py has not cached it (its messages come with a ``PartialMessageable``)

Replies the bot sent can be replied to (``reply_to=sent[0].id``) and reacted to; the bot can
fetch any message the fake knows. ``await dh.settle()`` (or ``settle(fake, tasks)``) waits
until the gateway queue is empty and no handler runs; a plugin's own background tasks are
not waited for. ``fake.server_seconds`` is the CPU time the fake spent playing Discord, for
benchmarks that want the bot's time alone.

Voice: the adapter joins with :class:`FakeVoiceClient`, which sends the real voice-state
updates through the gateway but no UDP; playing reads the audio source (e.g.
``discord.FFmpegPCMAudio``) frame by frame in a thread and records a :class:`PlayedAudio`
on ``dh.voice_client().played``. With ``FakeDiscord(voice_server=server)`` (an entered
:class:`~botkit_testkit.discord.voice_server.VoiceServer`) the adapter keeps discord.py's real
voice client, which connects to that local voice server over a websocket and UDP: the bot's
sound arrives there as RTP, and ``server.speak(user_id, opus_frames(wav))`` talks to the bot.

Failures: ``dh.fake.fail("POST", r"/channels/\\d+/messages", status=403, code=50013,
message="Missing Permissions")`` answers the next matching request with that error;
``dh.fake.route(method, pattern)`` adds a handler. ``FakeDiscord(reject_token=True)`` makes
the login fail; ``FakeDiscord(message_content_enabled=False)`` makes the gateway refuse the
privileged intent (close code 4014). Any discord.py client that logs in with ``fake.token``
while the fake is active (``with fake:``) talks to it.

Other processes: ``async with serve_fake(fake) as server`` (``botkit_testkit.discord.server``)
serves the same fake on a local port, REST at ``server.api_base`` (``[discord] api_base``) and
the gateway as a real websocket that ``GET /gateway/bot`` names, so separate ``botkit run``
processes log in with ``fake.token`` and talk to it over sockets.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
from botkit_discord import DiscordAdapter, DiscordSettings
from botkit_discord.spec import adapter as discord_spec

from botkit.adapter import AdapterStartError
from botkit.testing import Bot, adapter_setup, build_bot, run_bot, serve
from botkit_testkit.discord.fake import (
    FakeDiscord,
    FakeGatewaySocket,
    Identified,
    Replies,
    Request,
    SentFile,
)
from botkit_testkit.discord.payloads import (
    FakeChannel,
    FakeUser,
    attachment_payload,
    channel_payload,
)
from botkit_testkit.discord.voice import FakeVoiceClient, PlayedAudio

SETTLE_TIMEOUT = 30.0
TRACKED_TASKS = ("discord.py: ", "CommandTree-invoker")

__all__ = [
    "DiscordHarness",
    "FakeChannel",
    "FakeDiscord",
    "FakeGatewaySocket",
    "FakeUser",
    "FakeVoiceClient",
    "Identified",
    "PlayedAudio",
    "Replies",
    "Request",
    "SentFile",
    "discord_harness",
    "run_discord",
    "run_harness",
    "settle",
    "start_discord_harness",
    "sync_commands",
]


async def settle(
    fake: FakeDiscord, tasks: Collection[asyncio.Task[Any]] = (), max_wait: float = SETTLE_TIMEOUT
) -> None:
    """Wait until the fake's gateway queues are empty and no event handler is running.

    Handlers are discord.py's event tasks, CommandTree invocations and ``tasks`` (the
    adapter's); a plugin's own background tasks are not waited for.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    me = asyncio.current_task()
    while True:
        async with asyncio.timeout_at(deadline):
            for socket in fake.open_sockets():
                await socket.idle.wait()
        busy = [
            t
            for t in asyncio.all_tasks()
            if t is not me
            and not t.done()
            and (t in tasks or t.get_name().startswith(TRACKED_TASKS))
        ]
        if not busy:
            if all(s.idle.is_set() for s in fake.open_sockets()):
                return
            continue
        _, pending = await asyncio.wait(busy, timeout=max(0.0, deadline - loop.time()))
        if pending:
            names = ", ".join(sorted(t.get_name() for t in pending))
            raise TimeoutError(f"the bot was still busy after {max_wait:g} s: {names}")


class DiscordHarness:
    """A bot running on the Discord adapter against a FakeDiscord (see the module docstring)."""

    def __init__(self, bot: Bot, adapter: DiscordAdapter, fake: FakeDiscord) -> None:
        self.bot = bot
        self.adapter = adapter
        self.fake = fake
        self.bot_user, self.owner, self.admin = fake.bot_user, fake.owner, fake.admin
        self.member, self.other_bot = fake.member, fake.other_bot
        self.guild = fake.guild_id
        self.channel, self.other_channel = fake.general, fake.random
        self.voice_channel = fake.voice_channel
        self.bot_thread, self.member_thread = fake.bot_thread, fake.member_thread
        self.last_message_id: int | None = None

    @property
    def data_dir(self) -> Path:
        return self.bot.config.data_dir

    # --- feeding events ---

    async def feed(
        self, event: str, data: dict[str, Any], *, max_wait: float = SETTLE_TIMEOUT
    ) -> Replies:
        """Send one gateway event and wait until the bot has handled it."""
        return await self.feed_many([(event, data)], max_wait=max_wait)

    async def feed_many(
        self, events: Iterable[tuple[str, dict[str, Any]]], *, max_wait: float = SETTLE_TIMEOUT
    ) -> Replies:
        """Send gateway events back to back; wait until every one has been handled."""
        before = len(self.fake.requests)
        for event, data in events:
            guild_id = data.get("guild_id")
            self.fake.dispatch(event, data, int(guild_id) if guild_id else None)
        await self.settle(max_wait)
        return Replies.of(self.fake.requests[before:], self.fake)

    async def settle(self, max_wait: float = SETTLE_TIMEOUT) -> None:
        """Wait until the gateway queue is empty and no handler task is running."""
        await settle(self.fake, self.adapter.tasks, max_wait)

    async def message(self, content: str = "", **kwargs: Any) -> Replies:
        """A user's message (see FakeDiscord.message_event for the options)."""
        event, data = self.fake.message_event(content, **kwargs)
        self.last_message_id = int(data["id"])
        return await self.feed(event, data)

    async def dm(
        self, content: str = "", *, author: FakeUser | None = None, **kwargs: Any
    ) -> Replies:
        """A direct message to the bot."""
        author = author or self.owner
        return await self.message(
            content, author=author, channel=self.fake.dm_channel(author), **kwargs
        )

    async def slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        /,
        *,
        author: FakeUser | None = None,
        channel: int | None = None,
        **more_options: Any,
    ) -> Replies:
        """Invoke the generated slash command ``/name`` with options (a dict and/or keywords)."""
        options = {**(options or {}), **more_options}
        command = self.adapter.tree.get_command(name)
        if command is None:
            known = sorted(c.name for c in self.adapter.tree.get_commands())
            raise KeyError(f"no slash command /{name}; there are {known}")
        spec = command.to_dict(self.adapter.tree)
        event, data = self.fake.interaction_event(spec, options, author=author, channel=channel)
        return await self.feed(event, data)

    async def react(
        self,
        message_id: int | str,
        emoji: str = "👍",
        *,
        author: FakeUser | None = None,
        added: bool = True,
    ) -> Replies:
        event, data = self.fake.reaction_event(
            message_id, emoji, author=author or self.member, added=added
        )
        return await self.feed(event, data)

    async def press(
        self, message_id: int | str, button: str, *, author: FakeUser | None = None
    ) -> Replies:
        """``author`` (default: the member) clicks the button ``button`` (its custom_id) under
        the bot's message ``message_id``; ``fake.interactions`` records the callback."""
        event, data = self.fake.component_event(message_id, button, author=author or self.member)
        return await self.feed(event, data)

    async def join_voice(self, user: FakeUser | None = None, channel: int | None = None) -> None:
        """``user`` (default: the owner) joins a voice channel (default: dh.voice_channel)."""
        event, data = self.fake.voice_state_event(user or self.owner, channel or self.voice_channel)
        await self.feed(event, data)

    async def leave_voice(self, user: FakeUser | None = None) -> None:
        event, data = self.fake.voice_state_event(user or self.owner, None)
        await self.feed(event, data)

    def add_user(self, name: str, *, admin: bool = False, bot: bool = False) -> FakeUser:
        return self.fake.add_user(name, admin=admin, bot=bot)

    async def add_channel(self, name: str) -> int:
        """A new text channel in the server (CHANNEL_CREATE)."""
        channel = FakeChannel(self.fake.new_id(), name, discord.ChannelType.text.value, self.guild)
        self.fake.channels[channel.id] = channel
        await self.feed("CHANNEL_CREATE", channel_payload(channel, len(self.fake.channels)))
        return channel.id

    def add_thread(self, name: str, *, parent: int, owner: FakeUser | None = None) -> int:
        """A thread of ``parent`` that discord.py has not cached (no THREAD_CREATE is sent);
        ``GET /channels/{id}`` answers with it."""
        thread = FakeChannel(
            self.fake.new_id(),
            name,
            discord.ChannelType.public_thread.value,
            self.guild,
            parent,
            (owner or self.member).id,
        )
        self.fake.channels[thread.id] = thread
        return thread.id

    def attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        voice: bool = False,
        duration: float | None = None,
    ) -> dict[str, Any]:
        """An attachment payload whose bytes the bot downloads from the fake CDN."""
        payload = attachment_payload(
            self.fake.new_id(), filename, len(data), content_type, voice=voice, duration=duration
        )
        self.fake.cdn[payload["url"]] = data
        return payload

    def voice_client(self) -> FakeVoiceClient | None:
        guild = self.adapter.client.get_guild(self.guild)
        vc = guild.voice_client if guild is not None else None
        return vc if isinstance(vc, FakeVoiceClient) else None


async def run_discord(bot: Bot, token: str) -> int:
    """What ``botkit run --adapter discord`` does for ``bot``: serve on the Discord adapter
    until it ends or SIGINT/SIGTERM; 0, or 1 after one line on stderr."""
    return await serve(bot, discord_spec.create(adapter_setup(bot, discord_spec, token)))


async def sync_commands(bot: Bot, token: str) -> int:
    """What ``botkit sync --adapter discord`` does for ``bot``: register its slash commands
    and print a summary; 0, or 1 after one line on stderr."""
    try:
        print(await discord_spec.sync(adapter_setup(bot, discord_spec, token), bot.command_list()))
    except AdapterStartError as exc:
        print(f"botkit: {exc}", file=sys.stderr)
        return 1
    return 0


@asynccontextmanager
async def start_discord_harness(
    plugins: Mapping[str, object] = {},
    *,
    config: Mapping[str, Any] | None = None,
    data_dir: Path,
    entry_points: bool = False,
    clock: Callable[[], float] | None = None,
    fake: FakeDiscord | None = None,
) -> AsyncIterator[DiscordHarness]:
    """Start a bot (built-in plugin plus ``plugins``) on the Discord adapter against a fake."""
    raw = {k: dict(v) for k, v in (config or {}).items()}
    raw.setdefault("discord", {}).setdefault("guild_ready_timeout", 0.0)
    bot = build_bot(plugins, config=raw, data_dir=data_dir, entry_points=entry_points, clock=clock)
    async with run_harness(bot, fake) as harness:
        yield harness


@asynccontextmanager
async def run_harness(
    bot: Bot, fake: FakeDiscord | None = None, *, identify_window: float | None = None
) -> AsyncIterator[DiscordHarness]:
    """Run an already built ``bot`` on the Discord adapter against ``fake`` until exit.

    Several harnesses may share one fake: each is a process of the bot (with
    ``[discord] shard_ids = "leased"`` and one PostgreSQL ``[storage] url`` they share the
    shards). ``identify_window`` shortens Discord's 5 s between identifies of one bucket.
    """
    fake = fake or FakeDiscord()
    with fake:
        adapter = DiscordAdapter(
            fake.token, bot.config.section("discord", DiscordSettings), bot.config.storage.url
        )
        if identify_window is not None:
            adapter.identify_window = identify_window
        if fake.voice_server is None:  # else discord.py's own VoiceClient, over UDP
            adapter.voice.client_class = FakeVoiceClient
        runner = asyncio.create_task(run_bot(bot, adapter), name="botkit discord harness")
        ready = asyncio.create_task(adapter.ready.wait())
        await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if runner.done():
            runner.result()  # raises DiscordStartError
            raise RuntimeError("the Discord adapter stopped before it was ready")
        harness = DiscordHarness(bot, adapter, fake)
        try:
            await harness.settle()
            yield harness
        finally:
            await adapter.close()
            await runner


@pytest.fixture
def discord_harness(tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[DiscordHarness]]:
    """Factory: ``async with discord_harness(plugins={...}, config={...}) as dh: ...``."""

    def factory(
        plugins: Mapping[str, object] = {},
        **kwargs: Any,
    ) -> AbstractAsyncContextManager[DiscordHarness]:
        kwargs.setdefault("data_dir", tmp_path / "data")
        return start_discord_harness(plugins, **kwargs)

    return factory
