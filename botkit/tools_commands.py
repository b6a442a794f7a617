"""``!tools``: which tools the assistant may use in this server, and which need approval."""

from __future__ import annotations

from botkit.commands import Command, Permission, command
from botkit.context import CommandError, Context, host_of
from botkit.tools import Tool, Toolbox


async def tools_list(ctx: Context) -> str:
    """List the assistant's tools here, on or off, and which ask the asker first."""
    box = host_of(ctx).tools
    found = await box.available(ctx.space)
    if not found:
        return "No installed plugin offers the assistant any tools."
    choices = await box.choices(ctx.space)
    lines = ["The assistant's tools here:"]
    for tool in found:
        enabled, approval = Toolbox.state(tool, choices)
        state = ("on" if enabled else "off") + (", asks first" if approval else "")
        lines.append(f"`{tool.name}` ({tool.plugin}) {state}: {tool.description}".rstrip(": "))
    lines.append(
        f"Change with `{ctx.plugin.prefix}tools enable|disable <name>` and "
        f"`{ctx.plugin.prefix}tools approval <name> on|off`."
    )
    return "\n".join(lines)


async def _tool(ctx: Context, name: str) -> Tool:
    found = {t.name: t for t in await host_of(ctx).tools.available(ctx.space)}
    tool = found.get(name.lower()) or found.get(name)
    if tool is None:
        raise CommandError(f"No tool {name[:40]!r} here. See {ctx.plugin.prefix}tools.")
    return tool


async def tools_enable(ctx: Context, name: str) -> str:
    """Let the assistant use a tool here."""
    tool = await _tool(ctx, name)
    await host_of(ctx).tools.choose(ctx.space, tool.name, enabled=True)
    return f"The assistant may use {tool.name} here."


async def tools_disable(ctx: Context, name: str) -> str:
    """Stop the assistant from using a tool here."""
    tool = await _tool(ctx, name)
    await host_of(ctx).tools.choose(ctx.space, tool.name, enabled=False)
    return f"The assistant no longer uses {tool.name} here."


async def tools_approval(ctx: Context, name: str, on: bool) -> str:
    """Make a tool wait for the asker's approval of each call here, or not."""
    tool = await _tool(ctx, name)
    await host_of(ctx).tools.choose(ctx.space, tool.name, approval=on)
    if on:
        return f"{tool.name} now runs only after the asker approves each call."
    return f"{tool.name} now runs without asking."


def commands() -> list[Command]:
    """The four commands, registered by the built-in plugin."""
    name = {"name": "a tool's name, as !tools lists it"}
    return [
        command(tools_list, name="tools", permission=Permission.ADMIN),
        command(tools_enable, name="tools enable", permission=Permission.ADMIN, param_help=name),
        command(tools_disable, name="tools disable", permission=Permission.ADMIN, param_help=name),
        command(
            tools_approval,
            name="tools approval",
            permission=Permission.ADMIN,
            param_help={**name, "on": "on or off"},
        ),
    ]
