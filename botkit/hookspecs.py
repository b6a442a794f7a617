"""Every hook a botkit plugin can implement.

Registration hooks are called once at start-up, synchronously, with no arguments. Runtime
hooks may be ``def`` or ``async def``; the host awaits them one by one ("call all" or "call
first", as noted on each) and gives each implementation its own view: ``ctx`` (a
:class:`botkit.Context` whose ``ctx.plugin`` is that plugin's handle) or ``plugin`` (its
:class:`botkit.PluginHandle`). A runtime hook that raises ``botkit.CommandError`` stops the
message's handling and the user gets its text; any other exception, a time-out or a result of
the wrong type is logged with the plugin's name, counted on its status, and the other plugins
still run.

Host events: startup, shutdown, message_received, reaction, respond, deliver, health. The
others are services plugins offer each other, called by whoever needs them: transcribe,
synthesize, knowledge, training_examples, models, user_data, delete_user_data (the host's own
``!mydata`` and ``!forgetme`` call the last two).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from botkit.commands import Command
    from botkit.context import Context
    from botkit.handle import PluginHandle
    from botkit.health import Problem
    from botkit.models import Attachment, Audio, Reaction, Reply

hookspec = pluggy.HookspecMarker("botkit")
hookimpl = pluggy.HookimplMarker("botkit")


# --- registration (plain synchronous calls, once at start-up) ---


@hookspec
def botkit_commands() -> list[Command]:
    """Return the plugin's commands, each built with ``botkit.command``."""


@hookspec
def botkit_settings() -> type:
    """Return the plugin's settings class: attrs, every field a ``botkit.setting`` with a
    default; the host builds it from the plugin's ``[name]`` section of the config file."""


@hookspec
def botkit_tables() -> MetaData:
    """Return the SQLAlchemy ``MetaData`` holding the plugin's tables (what its queries use)."""


@hookspec
def botkit_migrations() -> Path:
    """Return the directory of the plugin's Alembic revision scripts; the host upgrades the
    database to their head at start-up (without it, missing tables are created as declared)."""


# --- runtime: call all ---


@hookspec
def botkit_startup(plugin: PluginHandle) -> None:
    """Open clients, start pollers, once the database is ready (call all)."""


@hookspec
def botkit_shutdown(plugin: PluginHandle) -> None:
    """Close clients, stop pollers, leave voice channels (call all)."""


@hookspec
def botkit_message_received(ctx: Context) -> None:
    """Observe every message that is not the bot's own, before commands run (call all)."""


@hookspec
def botkit_reaction(ctx: Context, reaction: Reaction) -> None:
    """``reaction.user`` added or removed ``reaction.emoji`` on one of the bot's messages,
    ``reaction.message_id`` (call all; ``ctx.message`` is a stand-in with no text)."""


@hookspec
def botkit_knowledge(ctx: Context, text: str) -> list[str] | None:
    """Return knowledge snippets relevant to ``text`` for the prompt, best first (call all)."""


@hookspec
def botkit_training_examples(plugin: PluginHandle, guild_id: str | None) -> list[dict] | None:
    """Return the examples stored for server ``guild_id`` as fine-tuning records (call all).

    Each record is ``{"kind": "sft", "messages": [...]}`` or ``{"kind": "dpo", "input":
    {...}, "preferred_output": [...], "non_preferred_output": [...]}``, with the ``user_id``
    of its author, so that whoever copies it can forget it with that user.
    """


@hookspec
def botkit_user_data(plugin: PluginHandle, user_id: str) -> dict[str, int] | None:
    """Return what the plugin stores about user ``user_id``: a count per kind, for ``!mydata``
    (call all)."""


@hookspec
def botkit_delete_user_data(plugin: PluginHandle, user_id: str) -> int | list[str] | None:
    """Forget everything stored about user ``user_id`` and everything derived from it
    (files, exports, archives); return how many records went, or short lines saying what
    went (e.g. "archive notes.zip rebuilt without your files") (call all)."""


@hookspec
def botkit_models(plugin: PluginHandle, guild_id: str | None) -> list[str] | None:
    """Return extra chat model names usable in server ``guild_id``, e.g. fine-tuned ones
    (call all)."""


@hookspec
def botkit_health(plugin: PluginHandle) -> list[Problem] | None:
    """Return problems for ``botkit doctor``: missing keys, libraries, models (call all)."""


# --- runtime: call first ---


@hookspec
def botkit_transcribe(ctx: Context, attachment: Attachment) -> str | None:
    """Turn an audio ``attachment`` or voice message into text; None to let the next plugin
    try (call first)."""


@hookspec
def botkit_respond(ctx: Context, text: str, snippets: list[str]) -> Reply | str | None:
    """Answer ``text``, a non-command message that passed the trigger policy, with the
    knowledge ``snippets``; None to let the next plugin answer (call first)."""


@hookspec
def botkit_synthesize(ctx: Context, text: str, engine: str, language: str) -> Audio | None:
    """Speak ``text`` with the named ``engine`` (e.g. "espeak", "piper") in ``language``;
    None when this plugin has no such engine (call first)."""


@hookspec
def botkit_deliver(ctx: Context, reply: Reply) -> Reply | bool | None:
    """Deliver ``reply`` another way (speak it in a voice channel): True when no text reply is
    needed, a ``Reply`` to send instead (e.g. with a voice message), None to pass (call first)."""
