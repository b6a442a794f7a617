"""Command rules per server: which commands and plugins who may use where.

A rule allows or denies one command (or every command of one plugin) to one user, one
channel, one role, or the whole server. For a command the host looks for the first rule
that applies, in this order (modelled on Red-DiscordBot's Permissions cog):

1. rules about the command itself, then rules about its group (``train`` for
   ``train start``), then rules about its plugin; within each:
2. a rule about the user, then about the channel (a thread, then its parent channel), then
   about the user's roles (an allow for any of their roles beats a deny for another; the role
   ``admins`` is every server admin's, on platforms without roles too), then about the whole
   server (``role @everyone`` is the same as ``server``).

The first rule found decides; without one the command's own permission decides. Rules only
narrow a command's permission: an allow never gives an admin-only command to a member. The
bot's owners are never refused by a rule, and the ``rules`` commands themselves have none, so
an admin cannot lock the server out of changing them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from botkit import Channel, Cooldown, User

if TYPE_CHECKING:
    from botkit import Command, Message, PluginHandle, Storage

PLUGIN = "permissions"  # this plugin's name
OWNER = "botkit"  # rules and cooldowns are stored as the host stored them in 0.2 and 0.3
RULES_KEY = "rules"
SILENT_KEY = "rules_silent"
COOLDOWN_KEY = "cooldowns"
ACTIONS = ("allow", "deny")
TARGETS = ("command", "plugin")
SCOPES = ("user", "channel", "role", "server")
MAX_RULES = 200  # per server
EXEMPT = "rules"  # the rules commands: never subject to rules
ADMINS = "admins"  # the role every server admin has, on every platform (Telegram has no roles)

_USER = re.compile(r"<@!?(\d+)>|(\d+)")
_CHANNEL = re.compile(r"<#(\d+)>|(-?\d+(?:/\d+)?)")  # Telegram: -100123, and -100123/7 (a topic)
_ROLE = re.compile(r"<@&(\d+)>|(\d+)")


class RuleError(ValueError):
    """A rule typed in chat is not valid; the message says what to type instead."""


@attrs.frozen
class Rule:
    """``action`` (allow, deny) ``target`` (command, plugin) ``name`` to ``scope`` ``who``."""

    action: str = attrs.field(validator=attrs.validators.in_(ACTIONS))
    target: str = attrs.field(validator=attrs.validators.in_(TARGETS))
    name: str
    scope: str = attrs.field(validator=attrs.validators.in_(SCOPES))
    who: str = ""  # a user, channel or role id; "" for the server

    @property
    def subject(self) -> tuple[str, str, str, str]:
        """What the rule is about, whatever it decides."""
        return (self.target, self.name, self.scope, self.who)

    def where(self) -> str:
        """``to role <@&1>``, ``in channel <#2>``, ``to user <@3>``, ``in this server``."""
        return {
            "user": f"to user <@{self.who}>",
            "channel": f"in channel <#{self.who}>",
            "role": "to the server's admins" if self.who == ADMINS else f"to role <@&{self.who}>",
            "server": "in this server",
        }[self.scope]

    def __str__(self) -> str:
        return f"{self.action} {self.target} {self.name} {self.where()}"


def parse_rule(words: Sequence[str], guild_id: str) -> Rule:
    """``allow|deny command|plugin NAME [user|channel|role|server] [WHO]`` as typed in chat.

    ``WHO`` is a mention or an id; ``role @everyone`` (or the server's own id) means server.
    """
    if len(words) < 3:
        raise RuleError("a rule is: allow|deny command|plugin NAME [user|channel|role|server] WHO")
    action, target, name, *rest = (w.strip() for w in words)
    action, target = action.lower(), target.lower()
    if action not in ACTIONS:
        raise RuleError(f"a rule starts with allow or deny, not {action[:20]!r}")
    if target not in TARGETS:
        raise RuleError(f"a rule is about a command or a plugin, not {target[:20]!r}")
    scope = rest[0].lower() if rest else "server"
    if scope not in SCOPES:
        raise RuleError(f"a rule applies to a user, channel, role or server, not {scope[:20]!r}")
    who_words = rest[1:]
    if scope == "server":
        if who_words:
            raise RuleError("a server rule names nobody: leave out what follows 'server'")
        return Rule(action, target, name.lower(), "server")
    if len(who_words) != 1:
        raise RuleError(f"name one {scope}: a mention or an id")
    who = who_words[0]
    if scope == "role" and (who == "@everyone" or who in (guild_id, f"<@&{guild_id}>")):
        return Rule(action, target, name.lower(), "server")
    if scope == "role" and who.lower().lstrip("@") == ADMINS:
        return Rule(action, target, name.lower(), "role", ADMINS)
    pattern = {"user": _USER, "channel": _CHANNEL, "role": _ROLE}[scope]
    found = pattern.fullmatch(who)
    if found is None:
        example = {"user": "@alice or 1234", "channel": "#general or 1234", "role": "@trainers"}
        raise RuleError(f"{who[:40]!r} is not a {scope}: mention one ({example[scope]}) or an id")
    return Rule(action, target, name.lower(), scope, found[1] or found[2])


def mentioned_user(text: str) -> str | None:
    """The user id in ``<@id>``, ``<@!id>`` or a bare id, else None."""
    found = _USER.fullmatch(text.strip())
    return (found[1] or found[2]) if found else None


def targets_of(cmd: Command) -> list[tuple[str, str]]:
    """What rules about ``cmd`` may name, most specific first."""
    found = [("command", cmd.name)]
    if " " in cmd.name:
        found.append(("command", cmd.name.split(" ", 1)[0]))
    found.append(("plugin", cmd.plugin))
    return found


def levels(user: User, channel: Channel) -> list[tuple[str, frozenset[str]]]:
    """Who a rule may name for this user in this channel, most specific first."""
    found = [("user", frozenset({user.id})), ("channel", frozenset({channel.id}))]
    if channel.parent_id:
        found.append(("channel", frozenset({channel.parent_id})))
    roles = frozenset(user.roles) | ({ADMINS} if user.is_admin or user.is_owner else set())
    found += [("role", roles), ("server", frozenset({""}))]
    return found


Index = Mapping[tuple[str, str], Sequence[Rule]]


def index(rules: Iterable[Rule]) -> dict[tuple[str, str], tuple[Rule, ...]]:
    """Rules by what they are about, ``("command", "train")``, in their order."""
    by_target: dict[tuple[str, str], list[Rule]] = {}
    for rule in rules:
        by_target.setdefault((rule.target, rule.name), []).append(rule)
    return {target: tuple(found) for target, found in by_target.items()}


def deciding(rules: Index, cmd: Command, user: User, channel: Channel) -> Rule | None:
    """The rule that decides whether ``user`` may run ``cmd`` in ``channel`` (see the module);
    ``rules`` is a server's :func:`index`."""
    if not rules:
        return None
    order: list[tuple[str, frozenset[str]]] | None = None
    for target in targets_of(cmd):
        relevant = rules.get(target)
        if not relevant:
            continue
        order = order or levels(user, channel)
        for scope, ids in order:
            found = [r for r in relevant if r.scope == scope and r.who in ids]
            if found:
                return next((r for r in found if r.action == "allow"), found[0])
    return None


def refusal(rule: Rule, cmd: Command, prefix: str, rules: Sequence[Rule]) -> str:
    """One short line telling a user why ``rule`` keeps them from ``cmd``."""
    name = f"{prefix}{cmd.name}"
    if rule.target == "plugin":
        name += f" (plugin {rule.name})"
    line = {
        "user": f"{name} is not allowed for you in this server.",
        "channel": f"{name} is disabled in <#{rule.who}>.",
        "role": f"{name} is not allowed {rule.where()}.",
        "server": f"{name} is disabled in this server.",
    }[rule.scope]
    if rule.scope in ("role", "server"):
        allowed = [
            r.where() for r in rules if r.action == "allow" and r.subject[:2] == rule.subject[:2]
        ]
        if allowed:
            line += " It is allowed " + ", ".join(allowed[:3]) + "."
    return line


class RuleBook:
    """Every server's rules and silence switch, loaded once at start and kept current."""

    def __init__(self, storage: Callable[[], Storage]) -> None:
        self._storage = storage
        self._rules: dict[str, tuple[Rule, ...]] = {}
        self._index: dict[str, dict[tuple[str, str], tuple[Rule, ...]]] = {}
        self._silent: dict[str, bool] = {}

    async def load(self) -> None:
        stored = await self._storage().settings_by_guild(OWNER, RULES_KEY)
        self._rules = {guild: tuple(_rules_from(items)) for guild, items in stored.items()}
        self._index = {guild: index(rules) for guild, rules in self._rules.items()}
        silent = await self._storage().settings_by_guild(OWNER, SILENT_KEY)
        self._silent = {guild: bool(value) for guild, value in silent.items()}

    async def reload(self, guild_id: str) -> None:
        """Read one server's rules and silence switch again (another process changed them)."""
        items = await self._storage().get_setting(OWNER, guild_id, RULES_KEY, [])
        rules = tuple(_rules_from(items))
        self._rules[guild_id] = rules
        self._index[guild_id] = index(rules)
        silent = await self._storage().get_setting(OWNER, guild_id, SILENT_KEY, False)
        self._silent[guild_id] = bool(silent)

    def rules(self, guild_id: str | None) -> tuple[Rule, ...]:
        return self._rules.get(guild_id or "", ()) if guild_id else ()

    def index(self, guild_id: str | None) -> Index:
        """The server's rules by what they are about (for :func:`deciding`)."""
        return self._index.get(guild_id or "", {}) if guild_id else {}

    def silent(self, guild_id: str | None) -> bool:
        return self._silent.get(guild_id or "", False)

    async def add(self, guild_id: str, rule: Rule) -> Rule | None:
        """Add ``rule``; return the rule it replaced (the same subject, the other action)."""
        current = list(self.rules(guild_id))
        old = next((r for r in current if r.subject == rule.subject), None)
        if old == rule:
            return old
        if old is None and len(current) >= MAX_RULES:
            raise RuleError(f"a server has at most {MAX_RULES} rules; remove some first")
        kept = [r for r in current if r.subject != rule.subject] + [rule]
        await self._store(guild_id, kept)
        return old

    async def remove(self, guild_id: str, rule: Rule) -> bool:
        current = list(self.rules(guild_id))
        if rule not in current:
            return False
        await self._store(guild_id, [r for r in current if r != rule])
        return True

    async def set_silent(self, guild_id: str, silent: bool) -> None:
        await self._storage().set_setting(OWNER, guild_id, SILENT_KEY, silent)
        self._silent[guild_id] = silent

    async def _store(self, guild_id: str, rules: list[Rule]) -> None:
        await self._storage().set_setting(
            OWNER, guild_id, RULES_KEY, [attrs.asdict(r) for r in rules]
        )
        self._rules[guild_id] = tuple(rules)
        self._index[guild_id] = index(rules)


class Cooldowns:
    """Every server's changed cooldowns (``!rules cooldown``), loaded once and kept current."""

    def __init__(self, storage: Callable[[], Storage]) -> None:
        self._storage = storage
        self.changed: dict[tuple[str, str], Cooldown | None] = {}  # (space, command)

    async def load(self) -> None:
        """Read every server's cooldown changes."""
        stored = await self._storage().settings_by_guild(OWNER, COOLDOWN_KEY)
        self.changed = {
            (guild, name): _cooldown(value)
            for guild, table in stored.items()
            for name, value in table.items()
        }

    async def reload(self, space: str) -> None:
        """Read one server's cooldown changes again (another process changed them)."""
        table = await self._storage().get_setting(OWNER, space, COOLDOWN_KEY, {})
        for key in [k for k in self.changed if k[0] == space]:
            del self.changed[key]
        for name, value in table.items():
            self.changed[(space, name)] = _cooldown(value)

    def of(self, space: str) -> list[tuple[str, Cooldown | None]]:
        """The commands whose cooldown changed in ``space`` (None: no cooldown), by name."""
        return sorted((n, c) for (g, n), c in self.changed.items() if g == space)

    async def set(self, space: str, command: str, cooldown: Cooldown | None) -> None:
        """Change a command's cooldown in one server (None: no cooldown there)."""
        self.changed[(space, command)] = cooldown
        await self._store(space)

    async def reset(self, space: str, command: str) -> bool:
        """Back to the command's own cooldown in one server; False when it was not changed."""
        if (space, command) not in self.changed:
            return False
        del self.changed[(space, command)]
        await self._store(space)
        return True

    async def _store(self, space: str) -> None:
        table = {name: attrs.asdict(value) if value else None for name, value in self.of(space)}
        await self._storage().set_setting(OWNER, space, COOLDOWN_KEY, table)


def _cooldown(value: Any) -> Cooldown | None:
    return Cooldown(**value) if value else None


def _rules_from(items: Any) -> Iterable[Rule]:
    """Stored rules, any that no longer fit the format left out."""
    for item in items if isinstance(items, list) else ():
        try:
            yield Rule(**item)
        except (TypeError, ValueError):
            continue


class Permissions:
    """The permissions plugin's state (its handle's ``state``): rules and changed cooldowns."""

    def __init__(self, storage: Callable[[], Storage]) -> None:
        self.rules = RuleBook(storage)
        self.cooldowns = Cooldowns(storage)

    async def load(self) -> None:
        """Read every server's rules, silence switch and cooldown changes."""
        await self.rules.load()
        await self.cooldowns.load()

    async def reload(self, space: str, key: str) -> None:
        """Read one stored value of one server again (another process changed it)."""
        if key in (RULES_KEY, SILENT_KEY):
            await self.rules.reload(space)
        elif key == COOLDOWN_KEY:
            await self.cooldowns.reload(space)

    def deciding(self, cmd: Command, message: Message) -> Rule | None:
        """The rule that decides whether ``message.author`` may run ``cmd`` where ``message``
        was sent (None: no rule is about it, or rules do not apply)."""
        if exempt(cmd, message):
            return None
        found = self.rules.index(message.guild_id)
        return deciding(found, cmd, message.author, message.channel) if found else None

    def cooldown(self, cmd: Command, space: str) -> Cooldown | None:
        """The cooldown in force for ``cmd`` in this space."""
        return self.cooldowns.changed.get((space, cmd.name), cmd.cooldown)


UNREADABLE = "unreadable"  # the handle's state when reading the rules at start failed


async def loaded(plugin: PluginHandle) -> Permissions:
    """The plugin's rules and cooldowns (its handle's ``state``), read on first use (and read
    again by the ``!rules`` commands when reading them at start failed)."""
    found = plugin.state
    if not isinstance(found, Permissions):
        found = Permissions(lambda: plugin.storage)
        await found.load()
        plugin.state = found
    return found


def exempt(cmd: Command, message: Message) -> bool:
    """The owner, direct messages and the rules commands have no rules."""
    return message.author.is_owner or message.guild_id is None or rules_command(cmd)


def rules_command(cmd: Command) -> bool:
    """One of this plugin's ``!rules`` commands."""
    return cmd.plugin == PLUGIN and cmd.name.split(" ", 1)[0] == EXEMPT
