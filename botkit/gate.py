"""What stands between a parsed command and its callback.

:meth:`Gate.decide` answers "may this person run this command here, and if not, why" and changes
nothing, so ``!help``, ``!rules check`` and tool offers ask it as freely as a typed command does.
Its order: the plugin switched off here, the command's own permission (everyone, admin, owner),
the plugins' ``botkit_check`` hook (the built-in permissions plugin's server rules among them),
then the concurrency limit and the cooldown as they stand (a space's cooldown comes from the
``botkit_cooldown`` hook, else the command's own). :meth:`Gate.admit` then takes the cooldown
slot of a command about to run, and :meth:`Gate.running` holds its concurrency slot while it
runs. A refusal by a limit is not answered where ``botkit_silent`` says the space chose silence.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any, Protocol

import attrs

from botkit.commands import Bucket, Command, Cooldown, permission_refusal
from botkit.limits import LimitStore, MemoryLimits
from botkit.models import Message
from botkit.results import Refusal

MAX_BUCKETS = 100_000  # users x commands remembered at once; the oldest are forgotten
EXEMPT = ("permissions", "rules")  # the rules commands: no plugin can lock an admin out of them

Check = Callable[[Command, Message], str | Refusal | None]  # the plugins' botkit_check
Switches = Callable[[str], frozenset[str]]  # the plugins switched off in a space


class Hooks(Protocol):
    """How the gate asks plugins' quick hooks (botkit.plugins.Plugins)."""

    def ask(self, hook: str, *, skip: Collection[str] = (), **kwargs: Any) -> Any: ...


@attrs.frozen
class Verdict:
    """Whether a command may run, and what to tell the user if not."""

    refused: bool = False
    reason: str = ""
    reply: bool = True
    kind: str = (
        ""  # disabled, permission, a botkit_check's kind (check, rule), concurrency, cooldown
    )


ALLOWED = Verdict()
LIMITS = ("concurrency", "cooldown")  # refusals that last only a while


def _no_check(cmd: Command, message: Message) -> None:
    return None


class Gate:
    """Decides commands against switches, permission, plugins' checks and limits."""

    def __init__(
        self,
        *,
        prefix: str,
        clock: Callable[[], float],
        switches: Switches = lambda space: frozenset(),
        check: Check = _no_check,
        hooks: Hooks | None = None,
    ) -> None:
        self.prefix = prefix
        self.clock = clock
        self.switches = switches
        self.check = check
        self.hooks = hooks
        self.limits: LimitStore = MemoryLimits(clock)  # PostgresLimits: shared by processes
        # (bucket key, user) -> the cooldown window that user was already told about
        self._told: collections.OrderedDict[tuple[str, str], float] = collections.OrderedDict()

    # --- deciding (no side effects) ---

    async def decide(self, cmd: Command, message: Message) -> Verdict:
        """May ``message.author`` run ``cmd`` where ``message`` was sent? Changes nothing."""
        if cmd.plugin in self.switches(message.space):
            why = f"{self.prefix}{cmd.name} is disabled in this server."
            return Verdict(True, why, kind="disabled")
        why = permission_refusal(cmd.permission, message.author)
        if why:
            return Verdict(True, why, kind="permission")
        found = None if exempt(cmd) else self.check(cmd, message)
        if found:
            refusal = found if isinstance(found, Refusal) else Refusal(found)
            return Verdict(True, refusal.reason, not refusal.silent, refusal.kind)
        verdict = await self._concurrency(cmd, message) or await self._cooldown(cmd, message)
        if verdict is None:
            return ALLOWED
        return attrs.evolve(verdict, reply=not self._silent(message.space))

    def cooldown(self, cmd: Command, space: str) -> Cooldown | None:
        """The cooldown in force for ``cmd`` in this space: a plugin's for the space (hook
        ``botkit_cooldown``), else the command's own."""
        found = self._ask("botkit_cooldown", space, command=cmd)
        if found is None:
            return cmd.cooldown
        return found or None

    def _silent(self, space: str) -> bool:
        return bool(self._ask("botkit_silent", space))

    def _ask(self, hook: str, space: str, **kwargs: Any) -> Any:
        """The first plugin's answer to quick ``hook`` about ``space``; None without."""
        if self.hooks is None:
            return None
        return self.hooks.ask(hook, guild_id=space, skip=self.switches(space), **kwargs)

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
        return attrs.evolve(verdict, reply=verdict.reply and not self._silent(message.space))

    @contextlib.asynccontextmanager
    async def running(self, cmd: Command, message: Message) -> AsyncIterator[None]:
        """The run :meth:`admit` let through; its concurrency slot is given back after."""
        try:
            yield
        finally:
            key = self._running_key(cmd, message)
            if key is not None:
                await self.limits.leave(key)

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
        if message.author.is_owner:
            return None
        limit = self.cooldown(cmd, message.space)
        if limit is None:
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


def exempt(cmd: Command) -> bool:
    """The ``!rules`` commands of the built-in permissions plugin, which no plugin's
    ``botkit_check`` is asked about: nothing can lock a server's admins out of its rules."""
    return (cmd.plugin, cmd.name.split(" ", 1)[0]) == EXEMPT


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
