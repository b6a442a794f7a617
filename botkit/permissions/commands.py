"""``!rules``: a server's admins see and change who may run which command, and cooldowns."""

from __future__ import annotations

import logging
import re

import attrs

from botkit import (
    Command,
    CommandError,
    Context,
    Cooldown,
    Message,
    Permission,
    PluginHandle,
    User,
    command,
)
from botkit.util import split_words

from .rules import (
    EXEMPT,
    Rule,
    RuleError,
    exempt,
    loaded,
    mentioned_user,
    parse_rule,
)

log = logging.getLogger("botkit.rules")
BUCKETS = ("user", "channel", "server")

RULE_HELP = "allow|deny command|plugin NAME [user|channel|role|server] [WHO]"
ORDER = "user, then channel, then roles, then server; command before plugin"
_RATE = re.compile(r"(\d{1,6})\s*/\s*(\d{1,7}(?:\.\d+)?)s?")


def _guild(ctx: Context) -> str:
    if ctx.guild_id is None:
        raise CommandError("Rules are per server: use this in a server's channel.")
    return ctx.guild_id


def words(text: str) -> list[str]:
    """A rule as typed, in words (quotes group words; mentions stay whole)."""
    try:
        return split_words(text)
    except ValueError as exc:
        raise CommandError(f"{exc}.") from None


def known_target(plugin: PluginHandle, rule: Rule) -> Rule:
    """The rule with an alias turned into its command's name; CommandError if none exists."""
    if rule.target == "plugin":
        if not plugin.loaded(rule.name):
            raise CommandError(f"No loaded plugin {rule.name[:40]!r}; see the plugins command.")
        return rule
    cmd = plugin.command(rule.name)
    if cmd is not None:
        name = cmd.name
    elif any(c.name.startswith(rule.name + " ") for c in plugin.commands()):
        name = rule.name  # a group: rules about ``train`` cover ``train start``
    else:
        raise CommandError(f"No command {rule.name[:40]!r}.")
    if name.split(" ", 1)[0] == EXEMPT:
        raise CommandError("The rules commands have no rules, so admins can always change them.")
    return Rule(rule.action, rule.target, name, rule.scope, rule.who)


def _find_command(plugin: PluginHandle, name: str) -> Command:
    cmd = plugin.command(name.removeprefix(plugin.prefix))
    if cmd is None:
        raise CommandError(f"No command {name[:40]!r}. See {plugin.prefix}help.")
    return cmd


async def rules(ctx: Context) -> str:
    """Show this server's command rules, changed cooldowns and whether refusals are answered."""
    perms = await loaded(ctx.plugin)
    guild = _guild(ctx)
    found = perms.rules.rules(guild)
    lines = [f"**Rules in this server** (the first that applies decides: {ORDER}):"]
    lines += [f"{i}. {rule}" for i, rule in enumerate(found, 1)] or ["none"]
    changed = perms.cooldowns.of(guild)
    if changed:
        lines.append("**Cooldowns changed here:**")
        lines += [f"{ctx.plugin.prefix}{name}: {limit or 'none'}" for name, limit in changed]
    silent = perms.rules.silent(guild)
    lines.append(f"Refusals are {'not answered (silent)' if silent else 'answered'}.")
    lines.append(f"Change them with `{ctx.plugin.prefix}rules add {RULE_HELP}`.")
    return "\n".join(lines)


async def rules_add(ctx: Context, *, rule: str) -> str:
    """Add a rule: allow|deny command|plugin NAME [user|channel|role|server] [WHO]."""
    perms = await loaded(ctx.plugin)
    guild = _guild(ctx)
    try:
        new = known_target(ctx.plugin, parse_rule(words(rule), guild))
        old = await perms.rules.add(guild, new)
    except RuleError as exc:
        raise CommandError(f"{str(exc).capitalize()}.") from None
    log.info("rule %r added in %s by user %s", str(new), guild, ctx.message.author.id)
    if old == new:
        return f"That rule is already there: {new}."
    if old is not None:
        return f"Rule changed: {new} (it was {old.action})."
    return f"Rule added: {new}."


async def rules_remove(ctx: Context, *, rule: str) -> str:
    """Remove a rule: its number in the list, or the rule as it was added."""
    perms = await loaded(ctx.plugin)
    guild = _guild(ctx)
    current = perms.rules.rules(guild)
    if rule.strip().isdecimal():
        digits = rule.strip()
        number = int(digits) if len(digits) <= 6 else 0  # 5,000 digits are no rule number
        if not 1 <= number <= len(current):
            shown = digits if len(digits) <= 6 else digits[:6] + "…"
            raise CommandError(f"There is no rule {shown}; see {ctx.plugin.prefix}rules.")
        gone = current[number - 1]
    else:
        try:
            gone = known_target(ctx.plugin, parse_rule(words(rule), guild))
        except RuleError as exc:
            raise CommandError(f"{str(exc).capitalize()}.") from None
    if not await perms.rules.remove(guild, gone):
        raise CommandError(f"No such rule here: {gone}. See {ctx.plugin.prefix}rules.")
    log.info("rule %r removed in %s by user %s", str(gone), guild, ctx.message.author.id)
    return f"Rule removed: {gone}."


def _target_user(ctx: Context, who: str | None) -> tuple[User, str]:
    """The user to check and a note when their roles are not known."""
    author = ctx.message.author
    if who is None:
        return author, ""
    user_id = mentioned_user(who)
    if user_id is None:
        raise CommandError(f"{who[:40]!r} is not a user: mention one or give an id.")
    if user_id == author.id:
        return author, ""
    for user in ctx.message.mentions:
        if user.id == user_id:
            return user, ""
    note = " (only their id is known here: their roles and admin rights were left out)"
    return User(id=user_id, name=user_id), note


async def rules_check(ctx: Context, command: str, user: str | None = None) -> str:
    """Say whether someone (default: you) may run a command here, and why."""
    perms = await loaded(ctx.plugin)
    guild = _guild(ctx)
    prefix = ctx.plugin.prefix
    cmd = _find_command(ctx.plugin, command)
    target, note = _target_user(ctx, user)
    if ctx.plugin.is_owner(target.id):
        target = attrs.evolve(target, is_owner=True, is_admin=True)
    message = _as(ctx.message, target)
    who, name = f"<@{target.id}>", f"{prefix}{cmd.name}"
    refused = await ctx.plugin.refusal(cmd, message)
    if refused is not None and refused.kind != "rule":
        return f"{who} may not run {name}{note}: {refused.reason}"
    rule = perms.deciding(cmd, message)
    if target.is_owner:
        line = f"{who} may run {name}: the bot's owners are never refused by rules."
    elif exempt(cmd, message):
        line = f"{who} may run {name}: it has no rules."
    elif rule is None:
        line = f"{who} may run {name} here: no rule is about it{note}."
    else:
        number = perms.rules.rules(guild).index(rule) + 1
        allowed = "may run" if rule.action == "allow" else "may not run"
        line = f"{who} {allowed} {name} here: rule {number} ({rule}) decides{note}."
        if rule.action == "deny" and refused is not None:
            line += " They see: " + refused.reason
    limit = perms.cooldown(cmd, ctx.space)
    if limit is not None:
        line += f" Cooldown: {limit}."
    return line


def _as(message: Message, user: User) -> Message:
    """``message`` as if ``user`` had sent it."""
    return attrs.evolve(message, author=user)


async def rules_cooldown(ctx: Context, command: str, rate: str, bucket: str | None = None) -> str:
    """Change a command's cooldown here: COMMAND N/SECONDS [user|channel|server], off or reset."""
    perms = await loaded(ctx.plugin)
    guild = _guild(ctx)
    cmd = _find_command(ctx.plugin, command)
    name = f"{ctx.plugin.prefix}{cmd.name}"
    if rate.lower() == "reset":
        if not await perms.cooldowns.reset(guild, cmd.name):
            return f"{name} keeps its own cooldown here: {cmd.cooldown or 'none'}."
        return f"{name} is back to its own cooldown here: {cmd.cooldown or 'none'}."
    if rate.lower() == "off":
        await perms.cooldowns.set(guild, cmd.name, None)
        return f"{name} has no cooldown in this server now."
    found = _RATE.fullmatch(rate.strip())
    chosen = (bucket or (cmd.cooldown.bucket if cmd.cooldown else "user")).lower()
    if found is None:
        raise CommandError(
            "Give the cooldown as uses/seconds, e.g. "
            f"`{ctx.plugin.prefix}rules cooldown {cmd.name} "
            f"1/30 user`, or off, or reset; not {rate[:20]!r}."
        )
    if chosen not in BUCKETS:
        names = ", ".join(BUCKETS)
        raise CommandError(f"A cooldown counts per {names}, not {chosen[:20]!r}.")
    try:
        limit = Cooldown(rate=int(found[1]), per=float(found[2]), bucket=chosen)
    except ValueError as exc:
        raise CommandError(f"{str(exc).capitalize()}.") from None
    await perms.cooldowns.set(guild, cmd.name, limit)
    log.info("cooldown of %s set to %s in %s", cmd.name, limit, guild)
    return f"{name} cooldown in this server: {limit}."


async def rules_silent(ctx: Context, switch: bool) -> str:
    """Answer refusals by rules and cooldowns (off) or say nothing (on)."""
    perms = await loaded(ctx.plugin)
    guild = _guild(ctx)
    await perms.rules.set_silent(guild, switch)
    if switch:
        return "Refused commands get no answer in this server now (they are still logged)."
    return "Refused commands are answered with the reason in this server now."


def commands() -> list[Command]:
    admin = Permission.ADMIN
    return [
        command(rules, permission=admin),
        command(rules_add, name="rules add", permission=admin, param_help={"rule": RULE_HELP}),
        command(
            rules_remove,
            name="rules remove",
            permission=admin,
            param_help={"rule": "a number from the list, or the rule"},
        ),
        command(
            rules_check,
            name="rules check",
            permission=admin,
            param_help={"command": "a command name", "user": "a mention (default: you)"},
        ),
        command(
            rules_cooldown,
            name="rules cooldown",
            permission=admin,
            param_help={
                "command": "a command name",
                "rate": "uses/seconds (1/30), off, or reset",
                "bucket": "user, channel or server",
            },
        ),
        command(
            rules_silent, name="rules silent", permission=admin, param_help={"switch": "on or off"}
        ),
    ]
