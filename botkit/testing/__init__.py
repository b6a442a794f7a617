"""botkit's test kit, a pytest plugin: run a bot with chosen plugins and see what it sends.

async def test_hi(botkit_harness):
    async with botkit_harness(plugins={"mine": my_plugin}) as bot:
        replies = await bot.send("!hi")
        assert replies.text == "HI!"
"""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

import attrs
import pytest

from botkit.adapters.base import AdapterSetup, AdapterSpec, VoiceConnections
from botkit.bot import Bot
from botkit.config import Config
from botkit.models import (
    Attachment,
    Button,
    Channel,
    ChannelKind,
    File,
    Message,
    Press,
    Reaction,
    ReferencedMessage,
    Sent,
    User,
)
from botkit.runner import run_bot, serve

BOT_USER = User(id="1000", name="botkit", is_bot=True)
OWNER = User(id="1", name="owner", is_owner=True, is_admin=True)
ADMIN = User(id="2", name="admin", is_admin=True)
MEMBER = User(id="3", name="member")
GUILD = "500"
CHANNEL = Channel(id="600", name="general", guild_id=GUILD)


class Replies(list[Sent]):
    """What the bot sent while handling one message."""

    @property
    def text(self) -> str:
        return "\n".join(s.text for s in self)

    @property
    def files(self) -> list[File]:
        return [f for s in self for f in s.files]


@attrs.define
class RecordingVoice(VoiceConnections):
    """A voice stand-in that records joins and plays; ``play`` returns at once."""

    played: list[tuple[str, Path]] = attrs.Factory(list)

    async def play(self, guild_id: str, audio: Path) -> Path | None:
        self.played.append((guild_id, audio))
        return audio


@attrs.define
class RecordingAdapter:
    """An adapter that keeps everything the bot sends, in order."""

    name: str = "test"
    text_limit: int = 2000
    can_edit: bool = True
    bot_user_id: str = BOT_USER.id
    voice: RecordingVoice | None = attrs.Factory(RecordingVoice)
    voice_notes: bool = False
    sent: list[Sent] = attrs.Factory(list)
    edits: list[Sent] = attrs.Factory(list)
    messages: dict[str, ReferencedMessage] = attrs.Factory(dict)
    channel_of: dict[str, str] = attrs.Factory(dict)  # message id -> channel id
    _ids: Iterable[int] = attrs.Factory(lambda: itertools.count(10_000))

    def next_id(self) -> str:
        return str(next(self._ids))  # type: ignore[call-overload]

    async def send(
        self, channel: Channel, text: str, files: tuple[File, ...], reply_to: str | None
    ) -> Sent:
        sent = Sent(id=self.next_id(), channel_id=channel.id, text=text, files=files)
        self.sent.append(sent)
        self.messages[sent.id] = ReferencedMessage(sent.id, BOT_USER, text, reply_to)
        self.channel_of[sent.id] = channel.id
        return sent

    async def send_buttons(
        self,
        channel: Channel,
        text: str,
        files: tuple[File, ...],
        buttons: tuple[Button, ...],
        reply_to: str | None,
    ) -> Sent:
        sent = await self.send(channel, text, files, reply_to)
        with_buttons = attrs.evolve(sent, buttons=buttons)
        self.sent[-1] = with_buttons
        return with_buttons

    async def send_dm(self, user_id: str, text: str) -> Sent:
        """A direct message to a user, in the channel ``BotHarness.dm`` uses for them."""
        return await self.send(Channel(id=f"dm-{user_id}", kind=ChannelKind.DM), text, (), None)

    async def edit(self, sent: Sent, text: str) -> Sent:
        edited = attrs.evolve(sent, text=text)
        self.edits.append(edited)
        self.sent = [edited if s.id == sent.id else s for s in self.sent]
        self.messages[sent.id] = attrs.evolve(self.messages[sent.id], content=text)
        return edited

    async def fetch_message(self, channel: Channel, message_id: str) -> ReferencedMessage | None:
        """A message of ``channel`` only, as on Discord."""
        if self.channel_of.get(message_id) != channel.id:
            return None
        return self.messages.get(message_id)

    def typing(self, channel: Channel) -> nullcontext[None]:
        return nullcontext()

    async def connect(self, bot: Bot) -> None:
        return None

    async def run(self) -> None:
        raise RuntimeError("the recording adapter is driven by BotHarness.send")

    async def close(self) -> None:
        return None


class BotHarness:
    """A started bot on a recording adapter; ``send`` plays a user's message."""

    def __init__(self, bot: Bot, adapter: RecordingAdapter) -> None:
        self.bot = bot
        self.adapter = adapter
        self.owner, self.admin, self.member = OWNER, ADMIN, MEMBER
        self.channel = CHANNEL

    @property
    def data_dir(self) -> Path:
        return self.bot.config.data_dir

    async def call_all(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every plugin's implementation of ``hook`` as the host does (``plugin`` and
        ``ctx`` handles filled in), e.g. ``await bot.call_all("botkit_health")``."""
        return await self.bot.plugins.call_all(hook, **kwargs)

    async def call_first(self, hook: str, **kwargs: Any) -> Any:
        """The first plugin's non-None answer to ``hook``, as the host asks it."""
        return await self.bot.plugins.call_first(hook, **kwargs)

    def status(self, plugin: str) -> Any:
        """What ``!plugins`` shows about a plugin: state, error, failure counters."""
        return self.bot.plugins.statuses[plugin]

    def handle(self, plugin: str) -> Any:
        """The plugin's handle in this bot (its ``state``, settings, storage)."""
        return self.bot.plugin_handle(plugin)

    async def send(
        self,
        content: str = "",
        *,
        user: User = OWNER,
        channel: Channel = CHANNEL,
        attachments: Iterable[Attachment] = (),
        reply_to: str | None = None,
        mention: bool = False,
    ) -> Replies:
        """Handle a message and return what the bot sent (edits applied)."""
        reference = self.adapter.messages.get(reply_to) if reply_to else None
        if reply_to and reference is None:
            raise KeyError(f"no message {reply_to} to reply to")
        message = Message(
            id=self.adapter.next_id(),
            content=content,
            author=user,
            channel=channel,
            mentions_bot=mention,
            reference=reference,
            attachments=tuple(attachments),
        )
        self.adapter.messages[message.id] = ReferencedMessage(message.id, user, content)
        self.adapter.channel_of[message.id] = channel.id
        before = len(self.adapter.sent)
        await self.bot.handle(message)
        return Replies(self.adapter.sent[before:])

    async def dm(self, content: str, *, user: User = OWNER, **kwargs: Any) -> Replies:
        """Send a direct message (answered by the chat plugin under the default triggers)."""
        channel = Channel(id=f"dm-{user.id}", name=user.name, kind=ChannelKind.DM)
        return await self.send(content, user=user, channel=channel, **kwargs)

    async def react(
        self, message_id: str, emoji: str, *, user: User = MEMBER, added: bool = True
    ) -> None:
        """``user`` reacts to message ``message_id`` in the harness's channel."""
        await self.bot.handle_reaction(Reaction(message_id, emoji, added, user, self.channel))

    async def press(
        self, message_id: str, button: str, *, user: User = OWNER, channel: Channel = CHANNEL
    ) -> Replies:
        """``user`` presses button ``button`` (its id) under message ``message_id``; what the
        bot sent in answer."""
        before = len(self.adapter.sent)
        await self.bot.handle_press(Press(message_id, button, user, channel))
        return Replies(self.adapter.sent[before:])

    async def buttons(self, nth: int = 1, wait: float = 10.0) -> Sent:
        """The ``nth`` message with buttons the bot sent, once it has (while another task
        waits for the answer to ``send``)."""
        async with asyncio.timeout(wait):
            while True:
                found = [s for s in self.adapter.sent if s.buttons]
                if len(found) >= nth:
                    return found[nth - 1]
                await asyncio.sleep(0.01)

    @staticmethod
    def attachment(
        filename: str, data: bytes, content_type: str | None = None, *, voice: bool = False
    ) -> Attachment:
        """An attachment whose bytes are ``data``."""
        guessed = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"

        async def read() -> bytes:
            return data

        return Attachment(filename, len(data), guessed, is_voice_message=voice, reader=read)


def build_bot(
    plugins: Mapping[str, object] = {},
    *,
    config: Mapping[str, Any] | None = None,
    data_dir: Path,
    entry_points: bool = False,
    clock: Callable[[], float] | None = None,
    wall_clock: Callable[[], float] | None = None,
    strict: bool = True,
) -> Bot:
    """A bot (not started) with the built-in plugin plus ``plugins``, configured from the
    ``config`` tables as a ``botkit.toml`` would be: for adapters' own test kits."""
    raw = {k: dict(v) for k, v in (config or {}).items()}
    raw.setdefault("bot", {}).setdefault("data_dir", str(data_dir))
    raw["bot"].setdefault("typing_delay", 0.0)
    return Bot.build(
        Config.from_dict(raw),
        extra_plugins=plugins.items(),
        entry_points=entry_points,
        strict=strict,
        **({"clock": clock} if clock else {}),
        **({"wall_clock": wall_clock} if wall_clock else {}),
    )


def adapter_setup(bot: Bot, spec: AdapterSpec, token: str = "") -> AdapterSetup:
    """What ``botkit run`` would build ``spec``'s adapter from, for ``bot``'s configuration."""
    settings = bot.config.section(spec.name, spec.settings) if spec.settings else None
    return AdapterSetup(config=bot.config, settings=settings, token=token)


@asynccontextmanager
async def start_harness(
    plugins: Mapping[str, object] = {},
    *,
    config: Mapping[str, Any] | None = None,
    data_dir: Path,
    entry_points: bool = False,
    clock: Callable[[], float] | None = None,
    wall_clock: Callable[[], float] | None = None,
    adapter: RecordingAdapter | None = None,
    strict: bool = True,
) -> AsyncIterator[BotHarness]:
    """Build and start a bot with the built-in plugin plus ``plugins`` (name to module);
    ``strict=False`` keeps going past a plugin that fails to load, as ``botkit run`` does."""
    bot = build_bot(
        plugins,
        config=config,
        data_dir=data_dir,
        entry_points=entry_points,
        clock=clock,
        wall_clock=wall_clock,
        strict=strict,
    )
    adapter = adapter or RecordingAdapter()
    await bot.start(adapter)
    try:
        yield BotHarness(bot, adapter)
    finally:
        await bot.stop()


@pytest.fixture
def botkit_harness(tmp_path: Path) -> Callable[..., Any]:
    """Factory: ``async with botkit_harness(plugins={...}, config={...}) as bot: ...``."""

    def factory(plugins: Mapping[str, object] = {}, **kwargs: Any) -> Any:
        kwargs.setdefault("data_dir", tmp_path / "data")
        return start_harness(plugins, **kwargs)

    return factory


__all__ = [
    "ADMIN",
    "BOT_USER",
    "CHANNEL",
    "GUILD",
    "MEMBER",
    "OWNER",
    "Bot",
    "BotHarness",
    "RecordingAdapter",
    "RecordingVoice",
    "Replies",
    "adapter_setup",
    "botkit_harness",
    "build_bot",
    "run_bot",
    "serve",
    "start_harness",
]
