"""The host's ``!mydata`` and ``!forgetme``: what the bot keeps about you, and forgetting it.

They work whatever plugins are installed: each plugin reports and deletes its own records
through the ``botkit_user_data`` and ``botkit_delete_user_data`` hooks, every plugin at once,
whatever the server's plugin switches say (a user's data is theirs everywhere).
"""

from __future__ import annotations

import collections
import logging
from typing import TYPE_CHECKING

from botkit.commands import Command, command
from botkit.context import Context, host_of

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.userdata")

CONFIRM_WINDOW = 120.0  # seconds between !forgetme and !forgetme confirm
PENDING_KEPT = 10_000


async def mydata(ctx: Context) -> str:
    """List what each plugin stores about you."""
    found = await _reports(ctx)
    if not found:
        return "I store nothing about you."
    lines = ["What I store about you:"]
    for plugin, counts in found:
        lines.append(f"- {plugin}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    lines.append(f"`{ctx.prefix}forgetme` deletes all of it.")
    return "\n".join(lines)


async def forgetme(ctx: Context, confirm: str | None = None) -> str:
    """Delete everything the bot stores about you (asks you to confirm first)."""
    user_id = ctx.message.author.id
    pending = _pending(ctx)
    asked = pending.pop(user_id, None)
    if confirm is None or confirm.lower() != "confirm":
        pending[user_id] = ctx.plugin.clock()
        while len(pending) > PENDING_KEPT:
            pending.popitem(last=False)
        found = await _reports(ctx)
        what = "; ".join(
            f"{plugin}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            for plugin, counts in found
        )
        return (
            f"This deletes everything I store about you ({what or 'nothing stored yet'}), "
            f"in every server, and cannot be undone. Type `{ctx.prefix}forgetme confirm` "
            f"within {CONFIRM_WINDOW / 60:g} minutes to go ahead."
        )
    if asked is None or ctx.plugin.clock() - asked > CONFIRM_WINDOW:
        return f"Type `{ctx.prefix}forgetme` first; then confirm within two minutes."
    bot = host_of(ctx)
    implementing = bot.plugins.implements("botkit_delete_user_data")
    before = {name: _trouble(bot, name) for name in implementing}
    results = await bot.plugins.call_all("botkit_delete_user_data", plugin=None, user_id=user_id)
    log.info("forgot user %s: %s", user_id, {name: result for name, result in results})
    lines = []
    for plugin, result in results:
        if isinstance(result, int):
            if result:
                lines.append(f"- {plugin}: {result} record{'s' if result != 1 else ''}")
        elif result:
            lines.append(f"- {plugin}: " + "; ".join(result))
    failed = [name for name in implementing if _trouble(bot, name) > before[name]]
    head = (
        "Done: I deleted everything I stored about you."
        if lines
        else "Done: I stored nothing about you."
    )
    tail = []
    if failed:
        tail.append(
            f"{', '.join(failed)} could not finish; the bot's owner has the details. "
            f"Try `{ctx.prefix}forgetme` again later."
        )
    return "\n".join([head, *lines, *tail])


def _trouble(bot: Bot, plugin: str) -> int:
    """Failures, time-outs and bad results counted on a plugin so far."""
    status = bot.plugins.statuses[plugin]
    return status.failures + status.timeouts + status.bad_results


async def _reports(ctx: Context) -> list[tuple[str, dict[str, int]]]:
    bot = host_of(ctx)
    found = await bot.plugins.call_all(
        "botkit_user_data", plugin=None, user_id=ctx.message.author.id
    )
    return [
        (name, {k: v for k, v in counts.items() if v})
        for name, counts in found
        if any(counts.values())
    ]


def _pending(ctx: Context) -> collections.OrderedDict[str, float]:
    if ctx.plugin.state is None:
        ctx.plugin.state = collections.OrderedDict()
    return ctx.plugin.state


def commands() -> list[Command]:
    """The two commands, registered by the built-in plugin."""
    return [
        command(mydata, tool=True),
        command(forgetme, param_help={"confirm": "type confirm to go ahead"}),
    ]
