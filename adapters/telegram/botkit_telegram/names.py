"""botkit command names to Telegram's (1-32 of a-z, 0-9, _) and back."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import attrs

from botkit.adapter import Command

log = logging.getLogger("botkit.telegram")

MAX_NAME = 32
MAX_DESCRIPTION = 256
MAX_COMMANDS = 100
START = "start"
_NOT_ALLOWED = re.compile(r"[^a-z0-9_]+")


def telegram_name(name: str) -> str:
    """``train start`` -> ``train_start``; other characters become ``_``; at most 32."""
    cleaned = _NOT_ALLOWED.sub("_", name.strip().lower()).strip("_")
    return cleaned[:MAX_NAME].rstrip("_")


@attrs.frozen
class BotCommand:
    """One entry of setMyCommands."""

    command: str
    description: str


@attrs.define
class CommandNames:
    """The two-way map between Telegram command names and botkit's."""

    to_host: dict[str, str] = attrs.Factory(dict)
    listed: list[BotCommand] = attrs.Factory(list)

    @classmethod
    def of(cls, commands: Iterable[Command]) -> CommandNames:
        names = cls()
        for cmd in sorted(commands, key=lambda c: c.name):
            primary = names._claim(cmd.name, cmd)
            for alias in cmd.aliases:
                names._claim(alias, cmd)
            if primary and len(names.listed) < MAX_COMMANDS:
                description = (cmd.help or cmd.name).strip()[:MAX_DESCRIPTION]
                names.listed.append(BotCommand(primary, description))
        # Telegram sends /start when someone opens a chat with the bot: show the help
        names.to_host.setdefault(START, "help")
        return names

    def _claim(self, host_name: str, cmd: Command) -> str | None:
        name = telegram_name(host_name)
        if not name:
            log.warning("command %r has no Telegram name (only a-z, 0-9, _)", host_name)
            return None
        taken = self.to_host.get(name)
        if taken is not None and taken != host_name:
            log.warning(
                "/%s is %r already; %r is reachable as !%s only", name, taken, cmd.name, host_name
            )
            return None
        self.to_host[name] = host_name
        return name

    def host_name(self, name: str) -> str:
        """The botkit command a Telegram command name stands for (itself when unknown)."""
        return self.to_host.get(name.lower(), name)
