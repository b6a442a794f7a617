"""The host's own commands, written as a plugin like any other."""

from __future__ import annotations

import asyncio
import logging
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from botkit.commands import Command, Permission, command
from botkit.context import CommandError, Context
from botkit.hookspecs import hookimpl
from botkit.models import File, Reply
from botkit.paths import UnsafePath, inside

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.builtin")


async def hi(ctx: Context) -> str:
    """Say hello."""
    return "HI!"


async def help(ctx: Context, *, command: str | None = None) -> str:
    """List the commands, or explain one."""
    prefix, table = ctx.prefix, ctx.bot.commands
    if command is not None:
        cmd, _, _ = table.find(command.removeprefix(prefix))
        if cmd is None:
            near = table.suggest(command.removeprefix(prefix).lower())
            hint = f" Did you mean {', '.join(prefix + n for n in near)}?" if near else ""
            raise CommandError(f"No command {prefix}{command.removeprefix(prefix)}.{hint}")
        return describe(cmd, prefix)
    lines = []
    for plugin, cmds in groupby(sorted(table.unique(), key=lambda c: c.plugin), lambda c: c.plugin):
        lines.append(f"**{plugin}**")
        lines += [f"`{prefix}{c.name}` {c.help}" for c in cmds]
    lines.append(f"Type `{prefix}help <command>` for details.")
    return "\n".join(lines)


def describe(cmd: Command, prefix: str) -> str:
    lines = [f"`{cmd.usage(prefix)}`", cmd.help]
    lines += [f"- {p.name}: {p.help}" for p in cmd.parameters if p.help]
    if cmd.aliases:
        lines.append("Also: " + ", ".join(prefix + a for a in cmd.aliases))
    if cmd.permission is not Permission.EVERYONE:
        lines.append(f"Only for: {cmd.permission.name.lower()}")
    return "\n".join(line for line in lines if line)


async def instruction(ctx: Context) -> str:
    """Show the bot's instructions."""
    configured = ctx.bot.config.bot.instruction_file
    if not configured:
        return generated_instructions(ctx.bot)
    base = ctx.bot.config.path.parent if ctx.bot.config.path else Path.cwd()
    try:
        return await asyncio.to_thread((base / configured).read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.error("cannot read instruction_file %s: %s", base / configured, exc)
        raise CommandError("The instructions file cannot be read; tell the bot's owner.") from None


def generated_instructions(bot: Bot) -> str:
    """The default instructions: what the bot does and every installed command."""
    prefix = bot.config.bot.prefix
    triggers = ", ".join(bot.config.bot.triggers)
    lines = [
        "# How to use this bot",
        f"Commands start with `{prefix}`. Plain messages are answered on: {triggers}.",
        "",
    ]
    lines += [f"- `{c.usage(prefix)}`: {c.help}" for c in bot.commands.unique()]
    return "\n".join(lines)


async def plugins(ctx: Context) -> str:
    """Show every plugin and its state."""
    disabled_here = await ctx.bot.disabled_plugins(ctx.guild_id)
    lines = []
    for s in ctx.bot.plugins.statuses.values():
        state = "disabled here" if s.name in disabled_here and s.state == "ok" else s.state
        line = f"`{s.name}` {s.version} {state}"
        if s.error:
            line += f": {s.error}"
        if s.failures or s.timeouts:
            line += f" ({s.failures} failures, {s.timeouts} time-outs)"
        lines.append(line)
    return "\n".join(lines)


async def plugin(ctx: Context, action: str, name: str) -> str:
    """Enable or disable a plugin in this server: enable|disable NAME."""
    if ctx.guild_id is None:
        raise CommandError("Plugins can be switched per server only, not in direct messages.")
    if action not in ("enable", "disable"):
        raise CommandError(f"Say enable or disable, not {action!r}.")
    status = ctx.bot.plugins.statuses.get(name)
    if status is None or status.state != "ok":
        raise CommandError(f"No loaded plugin {name!r}. See {ctx.prefix}plugins.")
    if name == "builtin":
        raise CommandError("The builtin plugin cannot be disabled.")
    await ctx.bot.set_plugin_enabled(ctx.guild_id, name, action == "enable")
    return f"Plugin {name} {action}d in this server."


async def getfile(ctx: Context, path: str) -> Reply:
    """Send a file from the bot's files directory."""
    root = ctx.bot.config.files_dir
    try:
        target = inside(root, path)
    except UnsafePath as exc:
        log.warning("getfile refused %r from user %s: %s", path, ctx.message.author.id, exc)
        raise CommandError("Only files inside the bot's files directory can be sent.") from None
    if not await asyncio.to_thread(target.is_file):
        raise CommandError(f"No file {path!r} in the files directory.")
    size = (await asyncio.to_thread(target.stat)).st_size
    if size > ctx.bot.config.bot.max_attachment_mb * 1024 * 1024:
        raise CommandError(f"{path} is too large to send ({size // 1024 // 1024} MB).")
    return Reply(text="Here is the file you requested:", files=(File(target.name, path=target),))


@hookimpl
def botkit_commands() -> list[Command]:
    return [
        command(hi),
        command(help, param_help={"command": "a command name"}),
        command(instruction),
        command(plugins, permission=Permission.ADMIN),
        command(plugin, permission=Permission.ADMIN),
        command(getfile, permission=Permission.OWNER, param_help={"path": "inside files_dir"}),
    ]
