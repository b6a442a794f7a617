"""What stands between a parsed command and its callback.

:meth:`Gate.decide` answers "may this person run this command here, and if not, why" and changes
nothing, so ``!help``, ``!rules check`` and tool offers ask it as freely as a typed command does.
Its order: the plugin switched off here, the command's own permission (everyone, admin, owner),
the server's rules (botkit/rules.py), the plugins' ``botkit_check`` hook, then the concurrency
limit and the cooldown as they stand. :meth:`Gate.admit` then takes the cooldown slot of a
command about to run, and :meth:`Gate.running` holds its concurrency slot while it runs. A
refusal by a rule or a limit is not answered where the server's admins chose silence.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import attrs

from botkit.commands import Bucket, Command, Cooldown, permission_refusal
from botkit.limits import LimitStore, MemoryLimits
from botkit.models import Message
from botkit.rules import EXEMPT, Rule, RuleBook, deciding, refusal

if TYPE_CHECKING:
    from botkit.storage import Storage

COOLDOWN_KEY = "cooldowns"
MAX_BUCKETS = 100_000  # users x commands remembered at once; the oldest are forgotten

Check = Callable[[Command, Message], Awaitable[str | None]]  # the plugins' botkit_check
Switches = Callable[[str], frozenset[str]]  # the plugins switched off in a space


@attrs.frozen
class Verdict:
    """Whether a command may run, and what to tell the user if not."""

    refused: bool = False
    reason: str = ""
    reply: bool = True
    kind: str = ""  # disabled, permission, rule, check, concurrency or cooldown
    rule: Rule | None = None  # the server rule that decided, when one did


ALLOWED = Verdict()
LIMITS = ("concurrency", "cooldown")  # refusals that last only a while


async def _no_check(cmd: Command, message: Message) -> None:
    return None


class Gate:
    """Decides commands against switches, permission, rules, plugins' checks and limits."""

    def __init__(
        self,
        storage: Callable[[], Storage],
        *,
        prefix: str,
        clock: Callable[[], float],
        switches: Switches = lambda space: frozenset(),
        check: Check = _no_check,
    ) -> None:
        self._storage = storage
        self.prefix = prefix
        self.clock = clock
        self.switches = switches
        self.check = check
        self.rules = RuleBook(storage)
        self.overrides: dict[tuple[str, str], Cooldown | None] = {}  # (space, command)
        self.limits: LimitStore = MemoryLimits(clock)  # PostgresLimits: shared by processes
        # (bucket key, user) -> the cooldown window that user was already told about
        self._told: collections.OrderedDict[tuple[str, str], float] = collections.OrderedDict()

    async def load(self) -> None:
        """Read every server's rules and cooldown changes once at start."""
        await self.rules.load()
        stored = await self._storage().settings_by_guild("botkit", COOLDOWN_KEY)
        for guild, table in stored.items():
            for name, value in table.items():
                self.overrides[(guild, name)] = Cooldown(**value) if value else None

    async def reload(self, space: str) -> None:
        """Read one server's cooldown changes again (another process changed them)."""
        table = await self._storage().get_setting("botkit", space, COOLDOWN_KEY, {})
        for key in [k for k in self.overrides if k[0] == space]:
            del self.overrides[key]
        for name, value in table.items():
            self.overrides[(space, name)] = Cooldown(**value) if value else None

    # --- deciding (no side effects) ---

    async def decide(self, cmd: Command, message: Message) -> Verdict:
        """May ``message.author`` run ``cmd`` where ``message`` was sent? Changes nothing."""
        if cmd.plugin in self.switches(message.space):
            why = f"{self.prefix}{cmd.name} is disabled in this server."
            return Verdict(True, why, kind="disabled")
        why = permission_refusal(cmd.permission, message.author)
        if why:
            return Verdict(True, why, kind="permission")
        quiet = not self.rules.silent(message.guild_id)
        rule = None if self.exempt(cmd, message) else self._rule(cmd, message)
        if rule is not None and rule.action == "deny":
            why = refusal(rule, cmd, self.prefix, self.rules.rules(message.guild_id))
            return Verdict(True, why, quiet, "rule", rule)
        reason = None if _rules_command(cmd) else await self.check(cmd, message)
        if reason:
            return Verdict(True, reason, kind="check", rule=rule)
        verdict = await self._concurrency(cmd, message) or await self._cooldown(cmd, message)
        if verdict is None:
            return Verdict(rule=rule)
        return attrs.evolve(verdict, reply=quiet, rule=rule)

    def exempt(self, cmd: Command, message: Message) -> bool:
        """The owner, direct messages and the rules commands have no rules."""
        return message.author.is_owner or message.guild_id is None or _rules_command(cmd)

    def _rule(self, cmd: Command, message: Message) -> Rule | None:
        found = self.rules.index(message.guild_id)
        return deciding(found, cmd, message.author, message.channel) if found else None

    def cooldown(self, cmd: Command, space: str | None) -> Cooldown | None:
        """The cooldown in force for ``cmd`` in this space."""
        return self.overrides.get((space or "", cmd.name), cmd.cooldown)

    # --- admitting (takes the slots) ---

    async def admit(self, cmd: Command, message: Message) -> Verdict:
        """Take ``cmd``'s concurrency and cooldown slots for this run (run it in
        :meth:`running` then), or refuse it when the limits say no."""
        key = self._running_key(cmd, message)
        limit = cmd.concurrency.limit if cmd.concurrency else 0
        if key is not None and not await self.limits.enter(key, limit):
            verdict: Verdict | None = self._busy(cmd)
        else:
            verdict = await self._cooldown(cmd, message, take=True)
            if verdict is not None and key is not None:
                await self.limits.leave(key)
        if verdict is None:
            return ALLOWED
        quiet = not self.rules.silent(message.guild_id)
        return attrs.evolve(verdict, reply=verdict.reply and quiet)

    @contextlib.asynccontextmanager
    async def running(self, cmd: Command, message: Message) -> AsyncIterator[None]:
        """The run :meth:`admit` let through; its concurrency slot is given back after."""
        try:
            yield
        finally:
            key = self._running_key(cmd, message)
            if key is not None:
                await self.limits.leave(key)

    # --- changing a server's cooldowns ---

    async def set_cooldown(self, space: str, command: str, cooldown: Cooldown | None) -> None:
        """Change a command's cooldown in one server (None: no cooldown there)."""
        self.overrides[(space, command)] = cooldown
        await self._store_cooldowns(space)

    async def reset_cooldown(self, space: str, command: str) -> bool:
        """Back to the command's own cooldown in one server; False when it was not changed."""
        if (space, command) not in self.overrides:
            return False
        del self.overrides[(space, command)]
        await self._store_cooldowns(space)
        return True

    async def _store_cooldowns(self, space: str) -> None:
        table = {
            name: attrs.asdict(value) if value else None
            for (guild, name), value in self.overrides.items()
            if guild == space
        }
        await self._storage().set_setting("botkit", space, COOLDOWN_KEY, table)

    # --- limits ---

    def _running_key(self, cmd: Command, message: Message) -> str | None:
        limit = cmd.concurrency
        if limit is None or message.author.is_owner:
            return None
        return _key(message.space, cmd.name, limit.bucket, _bucket(limit.bucket, message))

    async def _concurrency(self, cmd: Command, message: Message) -> Verdict | None:
        key = self._running_key(cmd, message)
        if key is None or cmd.concurrency is None:
            return None
        if await self.limits.running(key, cmd.concurrency.limit) < cmd.concurrency.limit:
            return None
        return self._busy(cmd)

    def _busy(self, cmd: Command) -> Verdict:
        assert cmd.concurrency is not None
        return Verdict(
            True,
            f"{self.prefix}{cmd.name} is already running {_WHERE[cmd.concurrency.bucket]}; "
            "try again when it has finished.",
            kind="concurrency",
        )

    async def _cooldown(
        self, cmd: Command, message: Message, *, take: bool = False
    ) -> Verdict | None:
        limit = self.cooldown(cmd, message.space)
        if limit is None or message.author.is_owner:
            return None
        key = _key(message.space, cmd.name, limit.bucket, _bucket(limit.bucket, message))
        store = self.limits
        full = await (store.take if take else store.full)(key, limit.rate, limit.per)
        if full is None:
            return None
        return Verdict(
            True,
            f"{self.prefix}{cmd.name} is cooling down for {_WHO[limit.bucket]}: "
            f"try again in {_seconds(full.wait)}.",
            reply=self._first_notice(key, message.author.id, full.window) if take else True,
            kind="cooldown",
        )

    def _first_notice(self, key: str, user_id: str, window: float) -> bool:
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


_WHERE = {
    Bucket.USER: "for you",
    Bucket.CHANNEL: "in this channel",
    Bucket.SERVER: "in this server",
}
_WHO = {Bucket.USER: "you", Bucket.CHANNEL: "this channel", Bucket.SERVER: "this server"}


def _rules_command(cmd: Command) -> bool:
    """The host's ``!rules`` commands: no rule or plugin can lock an admin out of them."""
    return cmd.plugin == "builtin" and cmd.name.split(" ", 1)[0] == EXEMPT


def _seconds(wait: float) -> str:
    whole = max(1, round(wait + 0.49))
    return f"{whole} second{'s' if whole != 1 else ''}" if whole < 120 else f"{whole // 60} minutes"


def _key(*parts: str) -> str:
    """One bucket's key in the limit store: space, command, bucket kind, whose."""
    return "\x1f".join(parts)


def _bucket(bucket: Bucket, message: Message) -> str:
    """Whose uses count together: the author's, the channel's or the server's."""
    if bucket is Bucket.USER:
        return message.author.id
    if bucket is Bucket.CHANNEL:
        return message.channel.id
    return message.space
