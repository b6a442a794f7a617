"""The built-in permissions plugin: server rules, changed cooldowns, silence and ``!rules``.

Written like any plugin, against the contract only: it refuses commands through
``botkit_check`` (``tryfirst``, so a rule decides before other plugins' checks), gives a
server's cooldowns through ``botkit_cooldown`` and its choice of silence through
``botkit_silent``, and reads again what another process changed (``botkit_stored_elsewhere``).
Rules and cooldowns are stored where the host stored them in 0.2 and 0.3 (owner "botkit").
"""

from __future__ import annotations

from botkit import Command, Context, Cooldown, PluginHandle, Refusal, hookimpl

from . import commands
from .rules import OWNER, UNREADABLE, Permissions, exempt, loaded, refusal

UNREAD = Refusal(
    "This server's rules could not be read, so commands wait until they can be; the bot's "
    "owner finds why in its log.",
    kind="rule",
)


@hookimpl
async def botkit_startup(plugin: PluginHandle) -> None:
    """Read every server's rules and cooldowns once. Should that fail, every command a rule
    could be about is refused (never run unchecked) until ``!rules`` reads them again."""
    try:
        await loaded(plugin)
    except BaseException:
        plugin.state = UNREADABLE
        raise


@hookimpl(tryfirst=True)
def botkit_check(ctx: Context, command: Command) -> Refusal | None:
    """A server rule that denies ``command`` to the author here (silent where the server's
    admins chose silence)."""
    perms = ctx.plugin.state
    if perms is UNREADABLE:
        return None if exempt(command, ctx.message) else UNREAD
    if not isinstance(perms, Permissions):
        return None  # not started: no rules read, none to apply
    rule = perms.deciding(command, ctx.message)
    if rule is None or rule.action != "deny":
        return None
    guild = ctx.message.guild_id
    why = refusal(rule, command, ctx.plugin.prefix, perms.rules.rules(guild))
    return Refusal(why, silent=perms.rules.silent(guild), kind="rule")


@hookimpl
def botkit_cooldown(
    plugin: PluginHandle, guild_id: str, command: Command
) -> Cooldown | bool | None:
    """The cooldown a server's admins gave ``command`` there (False: none), if they did."""
    perms = plugin.state
    if not isinstance(perms, Permissions):
        return None
    key = (guild_id, command.name)
    if key not in perms.cooldowns.changed:
        return None
    return perms.cooldowns.changed[key] or False


@hookimpl
def botkit_silent(plugin: PluginHandle, guild_id: str) -> bool | None:
    """Whether the server's admins chose silence (``!rules silent on``)."""
    perms = plugin.state
    return (isinstance(perms, Permissions) and perms.rules.silent(guild_id)) or None


@hookimpl
async def botkit_stored_elsewhere(
    plugin: PluginHandle, owner: str, guild_id: str | None, key: str
) -> None:
    """Read again what another process changed."""
    perms = plugin.state
    if perms is None:
        return  # nothing read yet: the first use reads everything
    if guild_id is None:
        await perms.load()
    elif owner == OWNER:
        await perms.reload(guild_id, key)


@hookimpl
def botkit_commands() -> list[Command]:
    return commands.commands()
