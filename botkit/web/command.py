"""``!web``: a one-time sign-in link to the web console, sent privately."""

from __future__ import annotations

import logging

from botkit.commands import Command, Permission, command
from botkit.context import CommandError, Context, host_of
from botkit.web.tokens import LINK_SECONDS, Grant

log = logging.getLogger("botkit.web")


async def web(ctx: Context) -> str:
    """Get a one-time link to the web console for this server (sent in a direct message)."""
    bot = host_of(ctx)
    console = bot.web
    author = ctx.message.author
    if not console.enabled:
        raise CommandError("The web console is off; the bot's owner turns it on with [web] listen.")
    minutes = int(LINK_SECONDS // 60)
    if ctx.guild_id is None:
        if not author.is_owner:
            raise CommandError(
                f"Send {ctx.plugin.prefix}web in a server you administer: "
                "the link for that server comes here, in a direct message."
            )
        link = await console.link(Grant(author.id, author.name, owner=True))
        log.info("web: sign-in link issued to owner %s", author.id)
        return f"Your sign-in link (once, for {minutes} minutes): {link}"
    send_dm = getattr(bot.adapter, "send_dm", None)
    if send_dm is None:
        raise CommandError(
            "I cannot send direct messages on this platform; the bot's owner can sign in "
            "with botkit web-login."
        )
    grant = Grant(author.id, author.name, owner=author.is_owner, spaces=(ctx.guild_id,))
    link = await console.link(grant)
    try:
        await send_dm(
            author.id, f"Your sign-in link for this server (once, for {minutes} minutes): {link}"
        )
    except Exception:
        log.exception("web: the sign-in link could not be sent to user %s", author.id)
        raise CommandError(
            "I could not send you a direct message: allow direct messages from this server's "
            "members and try again."
        ) from None
    log.info("web: sign-in link for %s sent to user %s", ctx.guild_id, author.id)
    return "I sent you a sign-in link in a direct message."


def commands() -> list[Command]:
    return [command(web, permission=Permission.ADMIN)]
