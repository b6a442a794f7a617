"""Every hook a botkit plugin can implement.

Registration hooks are called once at start-up, synchronously. Runtime hooks may be
``def`` or ``async def``; the host awaits them one by one through ``botkit.plugins.Plugins``
("call all" or "call first", as noted on each). A runtime hook that raises
``botkit.CommandError`` stops the message's handling and the user gets its text; any other
exception is logged and counted, and the other plugins still run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from botkit.commands import Command
    from botkit.context import Context
    from botkit.health import Problem
    from botkit.models import Attachment, Audio, Reply

hookspec = pluggy.HookspecMarker("botkit")
hookimpl = pluggy.HookimplMarker("botkit")


# --- registration (plain synchronous calls, once at start-up) ---


@hookspec
def botkit_commands() -> list[Command]:
    """Return the plugin's commands."""


@hookspec
def botkit_settings() -> type:
    """Return the plugin's settings class (attrs, every field with a default)."""


@hookspec
def botkit_tables() -> MetaData:
    """Return the SQLAlchemy MetaData holding the plugin's tables; the host creates them."""


# --- runtime: call all ---


@hookspec
def botkit_startup(bot: Any) -> None:
    """Open clients, start pollers (call all)."""


@hookspec
def botkit_shutdown(bot: Any) -> None:
    """Close clients, stop pollers, leave voice channels (call all)."""


@hookspec
def botkit_message_received(ctx: Context) -> None:
    """Observe every message that is not the bot's own (call all)."""


@hookspec
def botkit_context(ctx: Context, text: str) -> list[str] | None:
    """Return knowledge snippets relevant to ``text`` for the prompt (call all)."""


@hookspec
def botkit_training_examples(bot: Any, guild_id: str | None) -> list[dict] | None:
    """Return stored examples as fine-tuning records (call all).

    Each record is ``{"kind": "sft", "messages": [...]}`` or ``{"kind": "dpo", "input":
    {...}, "preferred_output": [...], "non_preferred_output": [...]}``, with the ``user_id``
    of its author, so that whoever copies it can forget it with that user.
    """


@hookspec
def botkit_delete_user_data(bot: Any, user_id: str) -> int | None:
    """Forget everything stored about a user; return how many records went (call all)."""


@hookspec
def botkit_models(bot: Any, guild_id: str | None) -> list[str] | None:
    """Return extra chat model names usable in this guild, e.g. fine-tuned ones (call all)."""


@hookspec
def botkit_health(bot: Any) -> list[Problem] | None:
    """Report problems for ``botkit doctor`` (call all)."""


@hookspec
def botkit_reaction(ctx: Context, message_id: str, emoji: str, added: bool) -> None:
    """A user added or removed a reaction on one of the bot's messages (call all)."""


# --- runtime: call first ---


@hookspec
def botkit_transcribe(ctx: Context, attachment: Attachment) -> str | None:
    """Turn an audio attachment or voice message into text (call first)."""


@hookspec
def botkit_respond(ctx: Context, text: str, snippets: list[str]) -> Reply | str | None:
    """Answer a non-command message that passed the trigger policy (call first)."""


@hookspec
def botkit_synthesize(ctx: Context, text: str, engine: str, language: str) -> Audio | None:
    """Turn text into speech with the named engine, or return None (call first)."""


@hookspec
def botkit_deliver(ctx: Context, reply: Reply) -> bool | None:
    """Deliver a reply another way; return True when no text reply is needed (call first)."""
