"""The chat commands: !correct, !feedback, !corrections [n], !corrections export.

The tables' module (SQLAlchemy) is imported when a command runs, not with the plugin."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

import attrs

from botkit import (
    Command,
    CommandError,
    Context,
    File,
    Permission,
    ReferencedMessage,
    Reply,
    command,
)
from botkit_feedback.dataset import BUILDERS, InvalidExample, build_export
from botkit_feedback.records import Correction, Note

log = logging.getLogger("botkit.feedback")

DEFAULT_LISTED = 10
MAX_LISTED = 50
EXPORT_TIMEOUT = 60.0  # seconds to build an export in the worker thread
QUOTE_WIDTH = 60
MESSAGE_ID = re.compile(r"[0-9]+")
OWN_REPLIES_ONLY = "I can only take corrections of my own replies."


@attrs.frozen
class FeedbackCommands:
    """The plugin's commands; ``now`` is the wall clock (seconds since the epoch; default:
    the host's)."""

    now: Callable[[], float] | None = None

    def all(self) -> list[Command]:
        return [
            command(
                self.correct,
                help="Correct one of my replies: give its message id and the right answer, "
                "or send the right answer as a reply to my message.",
                param_help={
                    "correction": "the message id (unless you reply), then the right answer"
                },
            ),
            command(self.feedback, param_help={"text": "what you think of my answers"}),
            command(
                self.corrections,
                permission=Permission.ADMIN,
                param_help={"count": f"how many, 1 to {MAX_LISTED} (default {DEFAULT_LISTED})"},
            ),
            command(
                self.export,
                name="corrections export",
                permission=Permission.ADMIN,
                param_help={"format": "sft (supervised) or dpo (preference pairs)"},
            ),
        ]

    def timestamp(self, ctx: Context) -> datetime:
        return datetime.fromtimestamp((self.now or ctx.plugin.now)(), UTC)

    async def correct(self, ctx: Context, *, correction: str = "") -> str:
        """Correct one of my replies."""
        from botkit_feedback import store

        target, correction = await _target(ctx, correction.strip())
        if not correction:
            raise CommandError(
                f"The correction is empty: write the right answer after `{ctx.plugin.prefix}correct"
                + ("`." if target is ctx.message.reference else f" {target.id}`.")
            )
        user_message_id, user_text, asker_id = await _answered(ctx, target)
        author = ctx.message.author
        row = Correction(
            guild_id=ctx.space,
            channel_id=ctx.message.channel.id,
            author_id=author.id,
            author_name=author.name,
            bot_message_id=target.id,
            bot_text=target.content,
            user_message_id=user_message_id,
            user_text=user_text,
            correction=correction,
            created_at=self.timestamp(ctx),
            asker_id=asker_id,
        )
        number = await store.add_correction(ctx.plugin.storage, row)
        log.info("correction %d of message %s by user %s", number, target.id, author.id)
        saved = f"Thanks! Correction #{number} of message {target.id} saved."
        if user_text is None:
            saved += (
                " I do not know which message I was answering there, so it cannot become a "
                "training example."
            )
        return saved

    async def feedback(self, ctx: Context, *, text: str = "") -> str:
        """Tell the bot's keepers what you think of its answers."""
        from botkit_feedback import store

        if not text.strip():
            raise CommandError(
                f"Write your feedback after the command: `{ctx.plugin.prefix}feedback <text>`."
            )
        reference, author = ctx.message.reference, ctx.message.author
        note = Note(
            guild_id=ctx.space,
            channel_id=ctx.message.channel.id,
            author_id=author.id,
            author_name=author.name,
            text=text.strip(),
            replied_to_id=reference.id if reference else None,
            replied_to_text=reference.content if reference else None,
            created_at=self.timestamp(ctx),
            replied_to_author_id=reference.author.id if reference else None,
        )
        number = await store.add_note(ctx.plugin.storage, note)
        log.info("feedback %d by user %s", number, author.id)
        return "Thank you for your feedback!"

    async def corrections(self, ctx: Context, count: int = DEFAULT_LISTED) -> str:
        """Show the latest corrections in this server (or your DMs)."""
        from botkit_feedback import store

        if count < 1:
            raise CommandError(
                f"Say how many corrections to show, 1 to {MAX_LISTED}: "
                f"`{ctx.plugin.prefix}corrections {DEFAULT_LISTED}`."
            )
        guild = ctx.space
        rows = await store.latest_corrections(ctx.plugin.storage, guild, min(count, MAX_LISTED))
        if not rows:
            return f"No corrections here yet. Anyone can add one with `{ctx.plugin.prefix}correct`."
        limit_note = f" ({MAX_LISTED} at most at once)" if count > MAX_LISTED else ""
        lines = [f"Latest {len(rows)} correction(s){limit_note}:"]
        lines += [_describe(row) for row in rows]
        up, down = await store.rating_totals(ctx.plugin.storage, guild)
        lines.append(f"Ratings of my replies here: {up} 👍, {down} 👎.")
        return "\n".join(lines)

    async def export(self, ctx: Context, format: str) -> Reply:
        """Export this server's corrections as a JSONL fine-tuning file."""
        from botkit_feedback import store

        kind = format.lower()
        if kind not in BUILDERS:
            raise CommandError(
                f"Unknown format {format!r}: use `{ctx.plugin.prefix}corrections export sft` "
                f"(supervised) or `{ctx.plugin.prefix}corrections export dpo` (preference pairs)."
            )
        reviewed = ctx.settings.review_first
        rows = await store.guild_corrections(ctx.plugin.storage, ctx.space, reviewed)
        if not rows:
            raise CommandError(
                "No correction here is approved yet (review them on the web console), so "
                "there is nothing to export."
                if reviewed
                else "There are no corrections here yet, so there is nothing to export."
            )
        try:
            export = await asyncio.wait_for(
                asyncio.to_thread(build_export, rows, kind, ctx.settings.system_prompt),
                EXPORT_TIMEOUT,
            )
        except InvalidExample as exc:
            log.error("%s export of %s failed validation: %s", kind, ctx.space, exc)
            raise CommandError(f"The export failed validation ({exc}); nothing was sent.") from None
        left_out = (
            f" {export.skipped} correction(s) left out: the message I answered is unknown"
            + (", or my reply was empty or the same as the correction." if kind == "dpo" else ".")
            if export.skipped
            else ""
        )
        if not export.count:
            raise CommandError(f"No correction here can become a {kind} example.{left_out}")
        limit = ctx.plugin.max_attachment_bytes
        if len(export.data) > limit:
            raise CommandError(
                f"The {kind} export is {len(export.data) / 1024 / 1024:.1f} MB, over the "
                f"{round(limit / 1024 / 1024, 4):g} MB attachment limit."
            )
        name = f"corrections-{kind}-{self.timestamp(ctx):%Y%m%d}.jsonl"
        log.info("exported %d %s examples of %s", export.count, kind, ctx.space)
        text = f"{export.count} {kind.upper()} example(s) from {len(rows)} correction(s).{left_out}"
        return Reply(text=text, files=(File(name, data=export.data),))


async def _target(ctx: Context, text: str) -> tuple[ReferencedMessage, str]:
    """The bot message being corrected and the correction, or a CommandError saying why not."""
    bot_id, reference = ctx.plugin.capabilities.bot_user_id, ctx.message.reference
    if reference is not None and reference.author.id == bot_id:
        return reference, text
    words = text.split(maxsplit=1)
    first, rest = [*words, "", ""][:2]
    if MESSAGE_ID.fullmatch(first):
        found = await ctx.fetch(first)
        if found is None:
            raise CommandError(
                f"I cannot find message {first} in this channel. Use the id of one of my "
                f"replies here, or reply to it with `{ctx.plugin.prefix}correct <text>`."
            )
        if found.author.id != bot_id:
            raise CommandError(f"Message {first} was not written by me: {OWN_REPLIES_ONLY}")
        return found, rest.strip()
    if reference is not None:
        raise CommandError(f"You replied to a message I did not write: {OWN_REPLIES_ONLY}")
    raise CommandError(
        f"Which reply do you correct? Reply to my message with "
        f"`{ctx.plugin.prefix}correct <text>`, "
        f"or give its id (a number): `{ctx.plugin.prefix}correct <message_id> <text>`."
    )


async def _answered(
    ctx: Context, target: ReferencedMessage
) -> tuple[str | None, str | None, str | None]:
    """(id, text, author id) of the user message the bot's reply answered, as far as the
    adapter knows."""
    if target.reply_to is None:
        return None, None, None
    try:
        found = await ctx.fetch(target.reply_to)
    except Exception:
        log.warning(
            "cannot fetch message %s answered by %s", target.reply_to, target.id, exc_info=True
        )
        found = None
    if found is None:
        return target.reply_to, None, None
    mention = re.compile(rf"<@!?{re.escape(ctx.plugin.capabilities.bot_user_id)}>")
    return found.id, mention.sub("", found.content).strip() or None, found.author.id


def _describe(row: Correction) -> str:
    return (
        f"#{row.id} · {row.created_at:%Y-%m-%d %H:%M} · {_quote(row.author_name, 32)} · message "
        f"{row.bot_message_id}: “{_quote(row.bot_text)}” → “{_quote(row.correction)}”"
    )


def _quote(text: str, width: int = QUOTE_WIDTH) -> str:
    """One line, at most ``width`` characters, with mentions made harmless."""
    flat = " ".join(text.split()).replace("@", "@\u200b")
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
