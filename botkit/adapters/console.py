"""The console adapter: the bot in a terminal or a pipe, one line per message.

Every line is a direct message from the local user, who is the bot's owner. A word
``@file:PATH`` (or ``@file:"PATH WITH SPACES"``) attaches a local file to the message.
Spoken replies are saved as audio files under the data directory; their paths are printed.
Buttons are printed under their message; the line typed after them presses one: ``yes`` the
first, ``no`` the last, or a button's id or label.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import mimetypes
import re
import shutil
import sys
import threading
from collections.abc import Coroutine
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TextIO

import attrs

from botkit.adapters.base import AdapterSetup, Host, VoiceConnections
from botkit.commands import Command
from botkit.config import setting
from botkit.health import Problem
from botkit.models import (
    Attachment,
    Button,
    Channel,
    ChannelKind,
    File,
    Message,
    Press,
    ReferencedMessage,
    Sent,
    User,
)
from botkit.paths import deliveries, safe_filename

ATTACH = re.compile(r'@file:(?:"([^"]+)"|(\S+))')
SLASH = re.compile(r"/([A-Za-z][\w-]*)(?=\s|$)")  # "/roll 20": a command, as on Telegram
BOT_ID = "0"
HISTORY_KEPT = 1_000  # messages the console remembers for replies and !correct


@attrs.define
class ConsoleSettings:
    """The ``[console]`` section."""

    in_voice: bool = setting(
        True, "you are in a voice channel: !join, !say and spoken replies save audio files"
    )
    prompt: str = setting("you> ", "prompt shown on a terminal")


class ConsoleVoice(VoiceConnections):
    """Voice for the console: 'playing' saves the audio file and prints where it is."""

    def __init__(self, out: TextIO, directory: Path) -> None:
        super().__init__()
        self.out = out
        self.directory = directory
        self._count: itertools.count[int] | None = None

    async def play(self, guild_id: str, audio: Path) -> Path:
        if self._count is None:  # go on after the last run's files, never over them
            self._count = itertools.count(1 + await asyncio.to_thread(_last_spoken, self.directory))
        target = self.directory / f"spoken-{next(self._count):04d}{audio.suffix}"
        await asyncio.to_thread(_copy, audio, target)
        print(f"[spoken reply saved to {target}]", file=self.out, flush=True)
        return target


def _last_spoken(directory: Path) -> int:
    """The highest number among ``spoken-NNNN.*`` files already in ``directory`` (0: none)."""
    numbers = (p.stem.removeprefix("spoken-") for p in directory.glob("spoken-*"))
    return max((int(n) for n in numbers if n.isdecimal() and len(n) < 9), default=0)


def _settle(future: asyncio.Future[str], text: str) -> None:
    if not future.done():
        future.set_result(text)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


class ConsoleAdapter:
    """Reads stdin, prints replies to stdout."""

    name = "console"
    text_limit = 2000
    can_edit = False  # streamed replies are printed once, complete
    bot_user_id = BOT_ID
    voice_notes = False

    def __init__(
        self,
        data_dir: Path,
        settings: ConsoleSettings | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.settings = settings or ConsoleSettings()
        self.stdin = stdin or sys.stdin
        self.out = stdout or sys.stdout
        self.data_dir = data_dir
        self.voice = ConsoleVoice(self.out, data_dir / "console")
        self.channel = Channel(id="console", name="console", kind=ChannelKind.DM)
        voice_channel = Channel(id="console-voice", name="console voice", kind=ChannelKind.VOICE)
        self.user = User(
            id="console-user",
            name="you",
            is_owner=True,
            is_admin=True,
            voice_channel=voice_channel if self.settings.in_voice else None,
        )
        self._history: collections.OrderedDict[str, ReferencedMessage] = collections.OrderedDict()
        self._ids = itertools.count(1)
        self._bot: Host | None = None
        self._closed = asyncio.Event()
        self._buttons: Sent | None = None  # the newest message with buttons, until one is pressed
        self._offered = asyncio.Event()  # set when buttons are printed

    async def connect(self, bot: Host) -> None:
        self._bot = bot

    async def run(self) -> None:
        """Handle stdin line by line, one message at a time, until it ends or the adapter is
        closed; a line typed while a message is being handled that waits on buttons presses
        one."""
        assert self._bot is not None, "connect first"
        interactive = self.stdin.isatty()
        running: asyncio.Task[None] | None = None
        while not self._closed.is_set():
            if interactive and (running is None or running.done()):
                print(self.settings.prompt, end="", file=self.out, flush=True)
            line = await self._readline()
            if not line:
                break
            text = line.rstrip("\n")
            if running is not None and not running.done():
                offered = asyncio.ensure_future(self._offered.wait())
                await asyncio.wait({running, offered}, return_when=asyncio.FIRST_COMPLETED)
                offered.cancel()
                if await self._press(text):
                    continue
                await running
            message = self.message(text)
            if message is not None:
                running = asyncio.create_task(self._deliver(message))
        if running is not None:
            await running

    def _deliver(self, message: Message) -> Coroutine[Any, Any, None]:
        """``/name args`` is a command invocation, as on Telegram; anything else a message."""
        assert self._bot is not None
        found = SLASH.match(message.content)
        if found is None:
            return self._bot.handle(message)
        return self._bot.handle_invocation(message, found[1], message.content[found.end() :])

    async def _press(self, text: str) -> bool:
        """Press a button of the newest message with buttons, if ``text`` names one."""
        sent = self._buttons
        if sent is None or self._bot is None:
            return False
        word = text.strip().lower()
        chosen = {"yes": sent.buttons[0], "y": sent.buttons[0], "no": sent.buttons[-1]}.get(word)
        chosen = chosen or next(
            (b for b in sent.buttons if word in (b.id.lower(), b.label.lower())), None
        )
        if chosen is None:
            return False
        self._buttons = None
        self._offered.clear()
        await self._bot.handle_press(Press(sent.id, chosen.id, self.user, self.channel))
        return True

    async def _readline(self) -> str:
        """The next line of input, "" at its end or once the adapter is closed.

        A daemon thread reads, so a pending ``readline`` never keeps the process alive after
        SIGTERM or the end of the bot (the default executor's threads would).
        """
        loop = asyncio.get_running_loop()
        line: asyncio.Future[str] = loop.create_future()

        def read() -> None:
            try:
                text = self.stdin.readline()
            except (OSError, ValueError):  # stdin closed under us
                text = ""
            loop.call_soon_threadsafe(_settle, line, text)

        threading.Thread(target=read, name="console stdin", daemon=True).start()
        closed = asyncio.ensure_future(self._closed.wait())
        await asyncio.wait({line, closed}, return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        return line.result() if line.done() else ""

    async def close(self) -> None:
        self._closed.set()

    def _remember(self, message: ReferencedMessage) -> None:
        self._history[message.id] = message
        if len(self._history) > HISTORY_KEPT:
            self._history.popitem(last=False)

    def message(self, line: str) -> Message | None:
        """Turn one input line into a Message; None for a blank line or a bad attachment."""
        attachments = []
        for match in ATTACH.finditer(line):
            path = Path(match.group(1) or match.group(2)).expanduser()
            if not path.is_file():
                print(f"[no such file to attach: {path}]", file=self.out, flush=True)
                return None
            attachments.append(local_attachment(path))
        content = ATTACH.sub("", line).strip()
        if not content and not attachments:
            return None
        message_id = str(next(self._ids))
        self._remember(ReferencedMessage(message_id, self.user, content))
        return Message(
            id=message_id,
            content=content,
            author=self.user,
            channel=self.channel,
            attachments=tuple(attachments),
        )

    async def send(
        self, channel: Channel, text: str, files: tuple[File, ...], reply_to: str | None
    ) -> Sent:
        if text:
            print(text, file=self.out, flush=True)
        for file in files:
            where = file.path or await asyncio.to_thread(self._save, file)
            print(f"[file {file.filename}: {where}]", file=self.out, flush=True)
        sent = Sent(id=str(next(self._ids)), channel_id=channel.id, text=text, files=files)
        self._remember(ReferencedMessage(sent.id, _BOT, text, reply_to))
        return sent

    async def send_buttons(
        self,
        channel: Channel,
        text: str,
        files: tuple[File, ...],
        buttons: tuple[Button, ...],
        reply_to: str | None,
    ) -> Sent:
        """Print the message, then its buttons and what to type for each."""
        sent = await self.send(channel, text, files, reply_to)
        if len(buttons) == 2:
            hint = f"[yes: {buttons[0].label} / no: {buttons[1].label}]"
        else:
            hint = "[type one of: " + ", ".join(b.id for b in buttons) + "]"
        print(hint, file=self.out, flush=True)
        self._buttons = attrs.evolve(sent, buttons=buttons)
        self._offered.set()
        return self._buttons

    async def edit(self, sent: Sent, text: str) -> Sent:
        """A terminal cannot edit what it printed: print the new text."""
        print(text, file=self.out, flush=True)
        if sent.id in self._history:
            self._history[sent.id] = attrs.evolve(self._history[sent.id], content=text)
        return attrs.evolve(sent, text=text)

    async def fetch_message(self, channel: Channel, message_id: str) -> ReferencedMessage | None:
        return self._history.get(message_id)

    def typing(self, channel: Channel) -> nullcontext[None]:
        return nullcontext()

    def _save(self, file: File) -> Path:
        target = deliveries(self.data_dir, self.user.id) / safe_filename(file.filename)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.read_bytes())
        return target


_BOT = User(id=BOT_ID, name="botkit", is_bot=True)


def local_attachment(path: Path) -> Attachment:
    """An attachment read from a local file when the bot asks for its bytes."""
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"

    async def read() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    return Attachment(path.name, path.stat().st_size, content_type, reader=read)


class ConsoleSpec:
    """The ``console`` entry of ``botkit.adapters``: the default when no token is set."""

    name = "console"
    settings = ConsoleSettings
    token_env = None

    def create(self, setup: AdapterSetup) -> ConsoleAdapter:
        return ConsoleAdapter(setup.data_dir, setup.settings)

    async def check(self, setup: AdapterSetup) -> list[Problem]:
        return []

    async def sync(self, setup: AdapterSetup, commands: list[Command]) -> str:
        return "the console needs no command registration"


adapter = ConsoleSpec()
