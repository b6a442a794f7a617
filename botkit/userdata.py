"""The host's ``!mydata`` and ``!forgetme``: what the bot keeps about you, and forgetting it.

They work whatever plugins are installed: each plugin reports and deletes its own records
through the ``botkit_user_data`` and ``botkit_delete_user_data`` hooks, every plugin at once,
whatever the server's plugin switches say (a user's data is theirs everywhere). ``!forgetme``
asks with buttons: ✅ within the confirmation window does what ``!forgetme confirm`` does
(the built-in plugin's ``botkit_press`` hands presses to :func:`press`).
"""

from __future__ import annotations

import collections
import logging
from typing import TYPE_CHECKING

from botkit import buttons
from botkit.commands import Command, command
from botkit.context import Context, host_of
from botkit.models import Button, Press, Reply

if TYPE_CHECKING:
    from botkit.plugins import Plugins

log = logging.getLogger("botkit.userdata")

CONFIRM_WINDOW = 120.0  # seconds between !forgetme and !forgetme confirm
PENDING_KEPT = 10_000
FORGET, KEEP = "forgetme:confirm:", "forgetme:keep:"  # + the asker's user id


async def mydata(ctx: Context) -> str:
    """List what each plugin stores about you."""
    found = await _reports(ctx)
    if not found:
        return "I store nothing about you."
    lines = ["What I store about you:"]
    for plugin, counts in found:
        lines.append(f"- {plugin}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    lines.append(f"`{ctx.plugin.prefix}forgetme` deletes all of it.")
    return "\n".join(lines)


async def forgetme(ctx: Context, confirm: str | None = None) -> str | Reply:
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
        return Reply(
            text=(
                f"This deletes everything I store about you ({what or 'nothing stored yet'}), "
                f"in every server, and cannot be undone. Press ✅ Forget me or type "
                f"`{ctx.plugin.prefix}forgetme confirm` within {CONFIRM_WINDOW / 60:g} minutes "
                "to go "
                "ahead."
            ),
            buttons=(Button(FORGET + user_id, "✅ Forget me"), Button(KEEP + user_id, "❌ Keep")),
        )
    if asked is None or ctx.plugin.clock() - asked > CONFIRM_WINDOW:
        return f"Type `{ctx.plugin.prefix}forgetme` first; then confirm within two minutes."
    return await _forget(ctx, user_id)


async def press(ctx: Context, press: Press) -> None:
    """✅ or ❌ under ``!forgetme``'s question; only the asker's press counts."""
    for prefix in (FORGET, KEEP):
        if press.button.startswith(prefix):
            asker = press.button.removeprefix(prefix)
            break
    else:
        return
    user_id = press.user.id
    if user_id != asker:
        log.info("user %s pressed another user's forgetme button", user_id)
        await ctx.reply(
            f"Only the person who asked can answer this; type `{ctx.plugin.prefix}forgetme`."
        )
        return
    asked = _pending(ctx).pop(user_id, None)
    await buttons.clear(host_of(ctx).outbox.adapter, press.channel, press.message_id)
    if prefix == KEEP:
        await ctx.reply("Kept: nothing was deleted.")
    elif asked is None or ctx.plugin.clock() - asked > CONFIRM_WINDOW:
        await ctx.reply(
            f"Too late: type `{ctx.plugin.prefix}forgetme` again, then confirm in time."
        )
    else:
        await ctx.reply(await _forget(ctx, user_id))


async def _forget(ctx: Context, user_id: str) -> str:
    """Ask every plugin to delete what it stores about ``user_id``; say what was deleted."""
    bot = host_of(ctx)
    implementing = bot.plugins.implements("botkit_delete_user_data")
    before = {name: _trouble(bot.plugins, name) for name in implementing}
    results = await bot.plugins.call_all("botkit_delete_user_data", plugin=None, user_id=user_id)
    log.info("forgot user %s: %s", user_id, {name: result for name, result in results})
    lines = []
    for plugin, result in results:
        if isinstance(result, int):
            if result:
                lines.append(f"- {plugin}: {result} record{'s' if result != 1 else ''}")
        elif result:
            lines.append(f"- {plugin}: " + "; ".join(result))
    failed = [name for name in implementing if _trouble(bot.plugins, name) > before[name]]
    head = (
        "Done: I deleted everything I stored about you."
        if lines
        else "Done: I stored nothing about you."
    )
    tail = []
    if failed:
        tail.append(
            f"{', '.join(failed)} could not finish; the bot's owner has the details. "
            f"Try `{ctx.plugin.prefix}forgetme` again later."
        )
    return "\n".join([head, *lines, *tail])


def _trouble(plugins: Plugins, plugin: str) -> int:
    """Failures, time-outs and bad results counted on a plugin so far."""
    status = plugins.statuses[plugin]
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
