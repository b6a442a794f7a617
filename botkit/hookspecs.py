"""Every hook a botkit plugin can implement, and the single source of truth about each.

Each specification declares its kind and the check its results must pass (:data:`SPECS`); the
plugin manager, the result checks, the fault suite and the plugin guide's table all read them.

- registration: called once at start-up, synchronously, with no arguments;
- call all: every implementation, one by one in pluggy's order, results collected;
- call first: implementations in order until one returns something other than None;
- quick: as call first, but a plain ``def`` called on the event loop that answers from memory
  (the gate asks these for every command, every ``!help`` line and every tool offered);
- observer: every implementation, results ignored (an event plugins watch).

Other runtime hooks may be ``async def`` (run on the event loop: every step must be quick) or plain
``def`` (run in one of the host's hook worker threads under the hook's time-out, so it may
block). Each implementation gets its own view: ``ctx`` (a :class:`botkit.Context` whose
``ctx.plugin`` is that plugin's handle) or ``plugin`` (its :class:`botkit.PluginHandle`). A
runtime hook that raises ``botkit.CommandError`` stops the message's handling and the user gets
its text; any other exception, a time-out or a result that fails its check is logged with the
plugin's name, counted on its status, and the other plugins still run.

Host events: startup, shutdown, stored_elsewhere, message_received, reaction, press, check,
cooldown, silent, respond, deliver, health. The others are services plugins offer each other,
called by whoever needs them: transcribe, synthesize, knowledge, training_examples, models,
tools, user_data, delete_user_data (the host's own ``!mydata`` and ``!forgetme`` call the last two).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from botkit import results
from botkit.commands import Command, Cooldown
from botkit.health import Problem
from botkit.models import Reply
from botkit.results import Refusal
from botkit.tools import Tool
from botkit.web.pages import WebPage

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from botkit.context import Context
    from botkit.handle import PluginHandle
    from botkit.models import Attachment, Audio, Press, Reaction

hookspec = pluggy.HookspecMarker("botkit")
hookimpl = pluggy.HookimplMarker("botkit")


class Kind(enum.Enum):
    """How the host calls a hook."""

    REGISTRATION = "registration"
    CALL_ALL = "call all"
    CALL_FIRST = "call first"
    QUICK = "quick"
    OBSERVER = "observer"


@attrs.frozen
class Spec:
    """One hook: its name, kind, and the check of what an implementation returns."""

    name: str
    kind: Kind
    check: Callable[[Any], str]  # "" when a (non-None) result fits, else what is wrong
    doc: str


SPECS: dict[str, Spec] = {}
F = TypeVar("F", bound=Callable[..., Any])


def spec(kind: Kind, check: Callable[[Any], str] = results.anything) -> Callable[[F], F]:
    """Declare a hook specification of ``kind`` whose results must pass ``check``."""

    def declare(function: F) -> F:
        doc = " ".join((function.__doc__ or "").split())
        SPECS[function.__name__] = Spec(function.__name__, kind, check, doc)
        return hookspec(firstresult=kind in (Kind.CALL_FIRST, Kind.QUICK))(function)

    return declare


REGISTRATION, CALL_ALL, CALL_FIRST, QUICK, OBSERVER = Kind


# --- registration (plain synchronous calls, once at start-up) ---


@spec(REGISTRATION, results.list_of(Command, "Command objects (botkit.command(...))"))
def botkit_commands() -> list[Command]:
    """Return the plugin's commands, each built with ``botkit.command``."""


@spec(REGISTRATION, results.settings_class)
def botkit_settings() -> type:
    """Return the plugin's settings class: attrs, every field a ``botkit.setting`` with a
    default; the host builds it from the plugin's ``[name]`` section of the config file."""


@spec(REGISTRATION, results.metadata)
def botkit_tables() -> MetaData:
    """Return the SQLAlchemy ``MetaData`` holding the plugin's tables (what its queries use)."""


@spec(REGISTRATION, results.directory)
def botkit_migrations() -> Path:
    """Return the directory of the plugin's Alembic revision scripts; the host upgrades the
    database to their head at start-up (without it, missing tables are created as declared)."""


@spec(REGISTRATION, results.list_of(WebPage, "botkit.web.WebPage objects"))
def botkit_web_pages() -> list[WebPage]:
    """Return the plugin's pages of the web console (``botkit.web.WebPage``), shown under
    each server to its admins and the bot's owner, with the console's rights and CSRF checks."""


# --- runtime ---


@spec(OBSERVER)
def botkit_startup(plugin: PluginHandle) -> None:
    """Open clients, start pollers, once the database is ready."""


@spec(OBSERVER)
def botkit_shutdown(plugin: PluginHandle) -> None:
    """Close clients, stop pollers, leave voice channels."""


@spec(OBSERVER)
def botkit_stored_elsewhere(
    plugin: PluginHandle, owner: str, guild_id: str | None, key: str
) -> None:
    """Another process of the bot (sharing its PostgreSQL database) stored value ``key`` of
    ``owner`` (a plugin's name, or "botkit" for the host) in space ``guild_id``: read again
    what you keep of it in memory. ``guild_id`` None: anything may have changed (the
    connection was lost for a while), so read everything again."""


@spec(OBSERVER)
def botkit_message_received(ctx: Context) -> None:
    """Observe every message that is not the bot's own, before commands run."""


@spec(OBSERVER)
def botkit_reaction(ctx: Context, reaction: Reaction) -> None:
    """``reaction.user`` added or removed ``reaction.emoji`` on one of the bot's messages,
    ``reaction.message_id`` (``ctx.message`` is a stand-in with no text)."""


@spec(OBSERVER)
def botkit_press(ctx: Context, press: Press) -> None:
    """``press.user`` pressed the button whose id is ``press.button`` under the bot's message
    ``press.message_id`` (sent with ``Reply(buttons=...)``; ``ctx.message`` is a stand-in with
    no text)."""


@spec(CALL_ALL, results.list_of(Tool, "botkit.Tool objects"))
def botkit_tools(plugin: PluginHandle, guild_id: str) -> list[Tool] | None:
    """Return tools the assistant may call in space ``guild_id`` that are not commands (a
    command becomes one with ``command(..., tool=True)``); each runs as the asker, through
    the same gate as a typed command."""


@spec(CALL_ALL, results.list_of(str, "strings"))
def botkit_knowledge(ctx: Context, text: str) -> list[str] | None:
    """Return knowledge snippets relevant to ``text`` for the prompt, best first."""


@spec(CALL_ALL, results.list_of(dict, "dicts"))
def botkit_training_examples(plugin: PluginHandle, guild_id: str | None) -> list[dict] | None:
    """Return the examples stored for space ``guild_id`` as fine-tuning records.

    Each record is ``{"kind": "sft", "messages": [...]}`` or ``{"kind": "dpo", "input":
    {...}, "preferred_output": [...], "non_preferred_output": [...]}``, with the ``user_id``
    of its author and ``user_ids``, everyone whose words it holds (the asker of a corrected
    question too): whoever copies a record forgets it when any of them is forgotten.
    """


@spec(CALL_ALL, results.counts)
def botkit_user_data(plugin: PluginHandle, user_id: str) -> dict[str, int] | None:
    """Return what the plugin stores about user ``user_id``: a count per kind, for ``!mydata``."""


@spec(CALL_ALL, results.deleted)
def botkit_delete_user_data(plugin: PluginHandle, user_id: str) -> int | list[str] | None:
    """Forget everything stored about user ``user_id`` and everything derived from it
    (files, exports, archives); return how many records went, or short lines saying what
    went (e.g. "archive notes.zip rebuilt without your files")."""


@spec(CALL_ALL, results.list_of(str, "model names"))
def botkit_models(plugin: PluginHandle, guild_id: str | None) -> list[str] | None:
    """Return extra chat model names usable in space ``guild_id``, e.g. fine-tuned ones."""


@spec(CALL_ALL, results.list_of(Problem, "botkit.Problem objects"))
def botkit_health(plugin: PluginHandle) -> list[Problem] | None:
    """Return problems for ``botkit doctor``: missing keys, libraries, models."""


@spec(QUICK, results.refusal)
def botkit_check(ctx: Context, command: Command) -> str | Refusal | None:
    """Refuse ``command`` to ``ctx.message.author`` here: return the reason the user is told
    (or a ``botkit.Refusal``: one that is ``silent`` is not answered, its ``kind`` names it in
    the metrics), or None to let it run. Asked wherever the host decides (typed commands,
    ``!help``, ``!rules check``, tool offers), so it must only look in memory, never count or
    change anything."""


@spec(QUICK, results.cooldown)
def botkit_cooldown(
    plugin: PluginHandle, guild_id: str, command: Command
) -> Cooldown | bool | None:
    """Return the cooldown ``command`` has in space ``guild_id`` instead of its own (a
    ``botkit.Cooldown``, or False for none there), or None to keep its own. Asked for every
    command the gate decides."""


@spec(QUICK, results.one_of((bool,), "True or False"))
def botkit_silent(plugin: PluginHandle, guild_id: str) -> bool | None:
    """Return True when space ``guild_id`` chose silence: refusals by the limits (a cooldown,
    a command already running) are then logged and counted but not answered; None to pass."""


@spec(CALL_FIRST, results.one_of((str,), "a string"))
def botkit_transcribe(ctx: Context, attachment: Attachment) -> str | None:
    """Turn an audio ``attachment`` or voice message into text; None to let the next plugin
    try."""


@spec(CALL_FIRST, results.answer((Reply, str), "a Reply or a string"))
def botkit_respond(ctx: Context, text: str, snippets: list[str]) -> Reply | str | None:
    """Answer ``text``, a non-command message that passed the trigger policy, with the
    knowledge ``snippets`` (``text`` is empty when the message is only images:
    ``ctx.message.attachments``); None to let the next plugin answer."""


@spec(CALL_FIRST, results.audio)
def botkit_synthesize(ctx: Context, text: str, engine: str, language: str) -> Audio | None:
    """Speak ``text`` with the named ``engine`` (e.g. "espeak", "piper") in ``language``;
    None when this plugin has no such engine."""


@spec(CALL_FIRST, results.answer((Reply, bool), "True or a Reply"))
def botkit_deliver(ctx: Context, reply: Reply) -> Reply | bool | None:
    """Deliver ``reply`` another way (speak it in a voice channel): True when no text reply is
    needed, a ``Reply`` to send instead (e.g. with a voice message), None to pass."""
