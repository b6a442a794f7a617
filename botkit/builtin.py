"""The host's own commands, written as a plugin like any other."""

from __future__ import annotations

import asyncio
import logging
import shutil
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from botkit import tools_commands, userdata
from botkit.commands import Command, Permission, command
from botkit.config import ConfigError
from botkit.context import CommandError, Context, host_of
from botkit.handle import PluginHandle
from botkit.hookspecs import hookimpl
from botkit.logs import mask_credentials
from botkit.models import File, Press, Reply
from botkit.paths import NameTooLong, UnsafePath, deliveries, inside
from botkit.web import command as web_command

if TYPE_CHECKING:
    from botkit.commands import CommandTable
    from botkit.config import BotSettings
    from botkit.gate import Gate

log = logging.getLogger("botkit.builtin")


async def hi(ctx: Context) -> str:
    """Say hello."""
    return "HI!"


async def help(ctx: Context, *, command: str | None = None) -> str:
    """List the commands you may run here, or explain one."""
    bot = host_of(ctx)
    prefix, table = ctx.plugin.prefix, bot.commands
    if command is not None:
        asked = command.removeprefix(prefix)
        cmd, _, _ = table.find(asked)
        if cmd is None:
            near = table.suggest(asked[:40].lower())
            hint = f" Did you mean {', '.join(prefix + n for n in near)}?" if near else ""
            raise CommandError(f"No command {prefix}{echo(asked)}.{hint}")
        return describe(cmd, prefix)
    mine = [c for c in table.unique() if await _may_run(bot.gate, c, ctx)]
    lines = []
    for plugin, cmds in groupby(sorted(mine, key=lambda c: c.plugin), lambda c: c.plugin):
        lines.append(f"**{plugin}**")
        lines += [f"`{prefix}{c.name}` {c.help}" for c in cmds]
    lines.append(f"Type `{prefix}help <command>` for details.")
    return "\n".join(lines)


async def _may_run(gate: Gate, cmd: Command, ctx: Context) -> bool:
    """Whether the gate lets the caller run ``cmd`` here (a cooldown is only for now)."""
    verdict = await gate.decide(cmd, ctx.message)
    return verdict.kind in ("", "cooldown", "concurrency")


def echo(text: str, limit: int = 40) -> str:
    """What a reply quotes of the user's input: at most ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    bot = host_of(ctx)
    configured = bot.config.bot.instruction_file
    if not configured:
        return generated_instructions(bot.config.bot, bot.commands)
    base = bot.config.path.parent if bot.config.path else Path.cwd()
    try:
        return await asyncio.to_thread((base / configured).read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.error("cannot read instruction_file %s: %s", base / configured, exc)
        raise CommandError("The instructions file cannot be read; tell the bot's owner.") from None


def generated_instructions(settings: BotSettings, commands: CommandTable) -> str:
    """The default instructions: what the bot does and every installed command."""
    prefix = settings.prefix
    triggers = ", ".join(settings.triggers)
    lines = [
        "# How to use this bot",
        f"Commands start with `{prefix}`. Plain messages are answered on: {triggers}.",
        "",
    ]
    lines += [f"- `{c.usage(prefix)}`: {c.help}" for c in commands.unique()]
    return "\n".join(lines)


async def plugins(ctx: Context) -> str:
    """Show every plugin and its state."""
    bot = host_of(ctx)
    disabled_here = bot.switches.off(ctx.space)
    lines = []
    for s in bot.plugins.statuses.values():
        state = "disabled here" if s.name in disabled_here and s.state == "ok" else s.state
        line = f"`{s.name}` {s.version} {state}"
        if s.error:
            line += f": {s.error}"
        if s.counters():
            line += f" ({s.counters()})"
        lines.append(line)
    return "\n".join(lines)


async def plugin(ctx: Context, action: str, name: str) -> str:
    """Enable or disable a plugin in this server: enable|disable NAME."""
    if ctx.guild_id is None:
        raise CommandError("Plugins can be switched per server only, not in direct messages.")
    if action not in ("enable", "disable"):
        raise CommandError(f"Say enable or disable, not {action!r}.")
    bot = host_of(ctx)
    status = bot.plugins.statuses.get(name)
    if status is None or status.state != "ok":
        raise CommandError(f"No loaded plugin {name[:40]!r}. See {ctx.plugin.prefix}plugins.")
    if status.distribution == "botkit":
        raise CommandError(f"The {name} plugin is part of the host and cannot be disabled.")
    await bot.switches.set(ctx.guild_id, name, action == "enable")
    return f"Plugin {name} {action}d in this server."


async def getfile(ctx: Context, path: str) -> Reply:
    """Send a file from the bot's files directory."""
    root = ctx.plugin.files_dir
    try:
        target = inside(root, path)
    except NameTooLong as exc:
        raise CommandError(f"That path cannot be used: {exc}.") from None
    except UnsafePath as exc:
        log.warning("getfile refused %r from user %s: %s", path, ctx.message.author.id, exc)
        raise CommandError("Only files inside the bot's files directory can be sent.") from None
    if not await asyncio.to_thread(target.is_file):
        raise CommandError(f"No file {path[:80]!r} in the files directory.")
    size = (await asyncio.to_thread(target.stat)).st_size
    if size > ctx.plugin.max_attachment_bytes:
        raise CommandError(f"{path} is too large to send ({size // 1024 // 1024} MB).")
    return Reply(text="Here is the file you requested:", files=(File(target.name, path=target),))


async def config(
    ctx: Context, plugin: str, key: str | None = None, *, value: str | None = None
) -> str:
    """Show a plugin's settings in this server, or change one: PLUGIN [KEY VALUE|reset]."""
    bot = host_of(ctx)
    settings = bot.settings.get(plugin)
    if settings is None:
        known = ", ".join(sorted(bot.settings)) or "none"
        raise CommandError(
            f"No plugin {plugin[:40]!r} has settings (plugins with settings: {known})."
        )
    owner = ctx.message.author.is_owner
    changeable = bot.server_config.changeable(type(settings), owner=True)
    if key is None:
        merged = bot.server_config.merged(plugin, settings, ctx.guild_id)
        lines = [f"**[{plugin}]** in this {'server' if ctx.guild_id else 'chat'}:"]
        for field in attrs.fields(type(settings)):
            if field.name not in changeable:
                continue
            if field.metadata.get("owner_only") and not owner:
                lines.append(f"`{field.name}` (owner only: its value is shown to the owner)")
                continue
            mark = " (owner only)" if field.metadata.get("owner_only") else ""
            shown = mask_credentials(repr(getattr(merged, field.name)))
            lines.append(f"`{field.name}` = {shown}{mark}")
        if len(lines) == 1:
            return f"[{plugin}] has no settings a server can change."
        lines.append(
            f"Change one with `{ctx.plugin.prefix}config {plugin} <key> <value>` or `... reset`."
        )
        return "\n".join(lines)
    if ctx.guild_id is None and not owner:
        raise CommandError("Settings can be changed per server only, not in direct messages.")
    ctx.require(Permission.ADMIN)
    guild = ctx.guild_id or ""
    if value is None:
        raise CommandError(
            f"Give a value: `{ctx.plugin.prefix}config {plugin} {key} <value>` or `reset`."
        )
    if value == "reset":
        try:
            found = await bot.server_config.reset(plugin, guild, key, owner=owner)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        log.info("config %s.%s reset in %s by user %s", plugin, key, guild, ctx.message.author.id)
        if found:
            return f"[{plugin}] {key} is back to the bot's default here."
        return f"[{plugin}] {key} was not changed here."
    try:
        merged = await bot.server_config.set(plugin, guild, key, value, owner=owner)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    log.info("config %s.%s set in %s by user %s", plugin, key, guild, ctx.message.author.id)
    return f"[{plugin}] {key} = {getattr(merged, key)!r} in this server."


@hookimpl
def botkit_user_data(plugin: PluginHandle, user_id: str) -> dict[str, int] | None:
    """Files the console keeps that it sent to this person (None: none)."""
    folder = deliveries(plugin.data_dir, user_id)
    count = sum(1 for p in folder.glob("*") if p.is_file())
    return {"files sent to you": count} if count else None


@hookimpl
def botkit_delete_user_data(plugin: PluginHandle, user_id: str) -> int | None:
    """Delete the files the console kept that it sent to this person (None: there were none)."""
    folder = deliveries(plugin.data_dir, user_id)
    files = [p for p in folder.glob("*") if p.is_file()]
    if not files:
        return None
    for path in files:
        path.unlink(missing_ok=True)
    if folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
    return len(files)


@hookimpl
async def botkit_press(ctx: Context, press: Press) -> None:
    """Presses of the host's own buttons (``!forgetme``'s question)."""
    await userdata.press(ctx, press)


@hookimpl
def botkit_commands() -> list[Command]:
    return [
        command(hi),
        command(help, param_help={"command": "a command name"}, tool=True),
        command(instruction),
        command(plugins, permission=Permission.ADMIN, tool=True),
        command(plugin, permission=Permission.ADMIN),
        command(getfile, permission=Permission.OWNER, param_help={"path": "inside files_dir"}),
        command(
            config,
            param_help={
                "plugin": "a plugin name",
                "key": "a setting",
                "value": "the new value, or reset",
            },
        ),
        *userdata.commands(),
        *tools_commands.commands(),
        *web_command.commands(),
    ]
