"""What stands between a parsed command and its callback: permission, server rules, cooldown.

The order: the command's own permission (everyone, admin, owner), then the server's rules
(botkit/rules.py), then its cooldown (the command's default or the server's override). A
refusal by a rule or a cooldown is not answered where the server's admins chose silence.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import attrs

from botkit.commands import Command, Cooldown
from botkit.context import permission_refusal
from botkit.models import Message
from botkit.rules import EXEMPT, RuleBook, deciding, refusal

if TYPE_CHECKING:
    from botkit.bot import Bot

COOLDOWN_KEY = "cooldowns"
MAX_BUCKETS = 100_000  # users x commands remembered at once; the oldest are forgotten


@attrs.frozen
class Verdict:
    """Whether a command may run, and what to tell the user if not."""

    refused: bool = False
    reason: str = ""
    reply: bool = True
    kind: str = ""  # permission, rule or cooldown: why it was refused


ALLOWED = Verdict()


class Gate:
    """Checks a command against the author's permission, the rules and the cooldown."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.rules = RuleBook(bot.storage)
        self.overrides: dict[tuple[str, str], Cooldown | None] = {}  # (guild, command)
        self._uses: collections.OrderedDict[tuple[str, ...], collections.deque[float]] = (
            collections.OrderedDict()
        )
        self._running: dict[tuple[str, ...], int] = {}  # concurrency buckets -> runs under way
        # (bucket key, user) -> the cooldown window that user was already told about
        self._told: collections.OrderedDict[tuple[tuple[str, ...], str], float] = (
            collections.OrderedDict()
        )

    async def load(self) -> None:
        """Read every server's rules and cooldown changes once at start."""
        await self.rules.load()
        stored = await self.bot.storage.settings_by_guild("botkit", COOLDOWN_KEY)
        for guild, table in stored.items():
            for name, value in table.items():
                self.overrides[(guild, name)] = Cooldown(**value) if value else None

    async def set_cooldown(self, guild_id: str, command: str, cooldown: Cooldown | None) -> None:
        """Change a command's cooldown in one server (None: no cooldown there)."""
        self.overrides[(guild_id, command)] = cooldown
        await self._store_cooldowns(guild_id)

    async def reset_cooldown(self, guild_id: str, command: str) -> bool:
        """Back to the command's own cooldown in one server; False when it was not changed."""
        if (guild_id, command) not in self.overrides:
            return False
        del self.overrides[(guild_id, command)]
        await self._store_cooldowns(guild_id)
        return True

    async def _store_cooldowns(self, guild_id: str) -> None:
        table = {
            name: attrs.asdict(value) if value else None
            for (guild, name), value in self.overrides.items()
            if guild == guild_id
        }
        await self.bot.storage.set_setting("botkit", guild_id, COOLDOWN_KEY, table)

    def cooldown(self, cmd: Command, guild_id: str | None) -> Cooldown | None:
        """The cooldown in force for ``cmd`` in this server."""
        return self.overrides.get((guild_id or "", cmd.name), cmd.cooldown)

    def exempt(self, cmd: Command, message: Message) -> bool:
        """The owner, direct messages and the rules commands have no rules."""
        return (
            message.author.is_owner
            or message.guild_id is None
            or (cmd.plugin == "builtin" and cmd.name.split(" ", 1)[0] == EXEMPT)
        )

    async def check(self, cmd: Command, message: Message) -> Verdict:
        why = permission_refusal(cmd.permission, self.bot.plugin_handle(cmd.plugin), message)
        if why:
            return Verdict(True, why, kind="permission")
        reply = not self.rules.silent(message.guild_id)
        if not self.exempt(cmd, message):
            found = self.rules.index(message.guild_id)
            rule = deciding(found, cmd, message.author, message.channel)
            if rule is not None and rule.action == "deny":
                rules = self.rules.rules(message.guild_id)
                why = refusal(rule, cmd, self.bot.config.bot.prefix, rules)
                return Verdict(True, why, reply, kind="rule")
        verdict = self._concurrency(cmd, message)
        if not verdict.refused:
            verdict = self._cooldown(cmd, message)
        return attrs.evolve(verdict, reply=verdict.reply and reply) if verdict.refused else verdict

    @contextlib.contextmanager
    def running(self, cmd: Command, message: Message) -> Iterator[None]:
        """Count the command as under way (for its concurrency limit) while the block runs."""
        key = self._running_key(cmd, message)
        if key is None:
            yield
            return
        self._running[key] = self._running.get(key, 0) + 1
        try:
            yield
        finally:
            left = self._running.pop(key) - 1
            if left:
                self._running[key] = left

    def _running_key(self, cmd: Command, message: Message) -> tuple[str, ...] | None:
        limit = cmd.concurrency
        if limit is None or message.author.is_owner:
            return None
        return (message.guild_id or "", cmd.name, limit.bucket, _bucket(limit.bucket, message))

    def _concurrency(self, cmd: Command, message: Message) -> Verdict:
        key = self._running_key(cmd, message)
        if key is None or cmd.concurrency is None:
            return ALLOWED
        if self._running.get(key, 0) < cmd.concurrency.limit:
            return ALLOWED
        who = {"user": "for you", "channel": "in this channel", "server": "in this server"}
        return Verdict(
            True,
            f"{self.bot.config.bot.prefix}{cmd.name} is already running "
            f"{who[cmd.concurrency.bucket]}; try again when it has finished.",
            kind="concurrency",
        )

    def _cooldown(self, cmd: Command, message: Message) -> Verdict:
        limit = self.cooldown(cmd, message.guild_id)
        if limit is None or message.author.is_owner:
            return ALLOWED
        bucket = _bucket(limit.bucket, message)
        key = (message.guild_id or "", cmd.name, limit.bucket, bucket)
        now = self.bot.clock()
        uses = self._uses.get(key)
        if uses is None:
            uses = self._uses[key] = collections.deque()
            if len(self._uses) > MAX_BUCKETS:
                self._uses.popitem(last=False)
        else:
            self._uses.move_to_end(key)
        while uses and uses[0] <= now - limit.per:
            uses.popleft()
        if len(uses) >= limit.rate:
            wait = uses[0] + limit.per - now
            who = {"user": "you", "channel": "this channel", "server": "this server"}
            return Verdict(
                True,
                f"{self.bot.config.bot.prefix}{cmd.name} is cooling down for "
                f"{who[limit.bucket]}: try again in {_seconds(wait)}.",
                reply=self._first_notice(key, message.author.id, uses[0]),
                kind="cooldown",
            )
        uses.append(now)
        return ALLOWED

    def _first_notice(self, key: tuple[str, ...], user_id: str, window: float) -> bool:
        """Whether to answer this refusal: once per user and cooldown window, so that trying
        again and again is not answered again and again."""
        told = (key, user_id)
        if self._told.get(told) == window:
            return False
        self._told[told] = window
        self._told.move_to_end(told)
        if len(self._told) > MAX_BUCKETS:
            self._told.popitem(last=False)
        return True


def _seconds(wait: float) -> str:
    whole = max(1, round(wait + 0.49))
    return f"{whole} second{'s' if whole != 1 else ''}" if whole < 120 else f"{whole // 60} minutes"


def _bucket(bucket: str, message: Message) -> str:
    """Whose uses count together: the author's, the channel's or the server's."""
    if bucket == "user":
        return message.author.id
    if bucket == "channel":
        return message.channel.id
    return message.guild_id or message.channel.id
