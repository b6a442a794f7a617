"""Slash commands generated from botkit Commands, and answering through the interaction.

An invocation becomes the equivalent prefix command (``/train_start name:"a b"`` is handled as
``!train start "a b"``), so permissions, argument checks and replies take the host's one path.
The interaction is deferred at once; while the host handles the command, everything sent to
that channel from the handling task goes out as the interaction's follow-ups.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Optional

import attrs
import discord
from discord import app_commands

from botkit.commands import Command, Parameter, Permission
from botkit.models import Attachment

log = logging.getLogger("botkit.discord")

NAME_LIMIT = 32
DESCRIPTION_LIMIT = 100
COMMAND_LIMIT = 100  # Discord's limit on global chat-input commands
OPTION_LIMIT = 25
TOKEN_LIFETIME = 14 * 60.0  # interaction tokens last 15 minutes
FOLLOWUPS_KEPT = 1000
_NOT_NAME = re.compile(r"[^\w-]")

Invoke = Callable[[Command, discord.Interaction, dict[str, Any]], Awaitable[None]]


class SlashArgumentError(ValueError):
    """The options cannot be written as the equivalent prefix command."""


def slash_name(name: str) -> str:
    """``train start`` -> ``train_start``: lowercase, at most 32 characters."""
    return _NOT_NAME.sub("_", name.lower().replace(" ", "_"))[:NAME_LIMIT]


def option_name(param: Parameter) -> str:
    return slash_name(param.name)


def _clip(text: str, fallback: str) -> str:
    text = " ".join(text.split()) or fallback
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def default_permissions(permission: Permission) -> discord.Permissions | None:
    """Who sees the command by default; the host checks the permission again anyway."""
    if permission is Permission.ADMIN:
        return discord.Permissions(manage_guild=True)
    if permission is Permission.OWNER:
        return discord.Permissions(administrator=True)
    return None


def _annotation(param: Parameter) -> Any:
    kind: Any = discord.Attachment if param.type is Attachment else param.type
    return kind if param.required else Optional[kind]  # noqa: UP045 - discord.py reads typing.Optional


def app_command(cmd: Command, invoke: Invoke) -> app_commands.Command[Any, ..., Any]:
    """The discord.py slash command for a botkit command."""
    params = cmd.parameters
    if len(params) > OPTION_LIMIT:
        raise ValueError(f"more than {OPTION_LIMIT} parameters")
    signature = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for p in params:
        signature.append(
            inspect.Parameter(
                option_name(p),
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(p),
                default=inspect.Parameter.empty if p.required else None,
            )
        )

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await invoke(cmd, interaction, values)

    callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        option_name(p): _clip(p.help, p.name) for p in params
    }
    command = app_commands.Command(
        name=slash_name(cmd.name), description=_clip(cmd.help, cmd.name), callback=callback
    )
    command.default_permissions = default_permissions(cmd.permission)
    return command


def register(tree: app_commands.CommandTree, commands: list[Command], invoke: Invoke) -> list[str]:
    """Add a slash command for each botkit command that fits Discord's rules; return names."""
    added: list[str] = []
    for cmd in commands:
        if len(added) >= COMMAND_LIMIT:
            log.warning(
                "more than %d commands: /%s and later ones get no slash command",
                COMMAND_LIMIT,
                slash_name(cmd.name),
            )
            break
        try:
            command = app_command(cmd, invoke)
            tree.add_command(command)
        except (TypeError, ValueError, app_commands.AppCommandError) as exc:
            log.warning("command %s gets no slash command: %s", cmd.name, exc)
            continue
        added.append(command.name)
    return added


def _render(param: Parameter, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if param.rest:
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            other = "'" if text[0] == '"' else '"'
            return f"{other}{text}{other}"
        return text
    if text and not any(c.isspace() for c in text) and text[0] not in "\"'":
        return text
    for quote in ('"', "'"):
        if quote not in text:
            return f"{quote}{text}{quote}"
    raise SlashArgumentError(f"{param.name} cannot contain both kinds of quotes and spaces")


def prefix_text(cmd: Command, values: dict[str, Any], prefix: str) -> str:
    """The prefix command equivalent to a slash invocation (attachments go separately)."""
    words = [prefix + cmd.name]
    skipped: list[Parameter] = []
    for param in cmd.parameters:
        if param.type is Attachment:
            continue
        value = values.get(option_name(param))
        if value is None:
            skipped.append(param)
            continue
        for missing in skipped:
            if missing.default is None:
                raise SlashArgumentError(f"give {missing.name} too when you give {param.name}")
            words.append(_render(missing, missing.default))
        skipped = []
        words.append(_render(param, value))
    return " ".join(words)


@attrs.define
class InteractionReply:
    """The interaction a handling task answers, until its token expires."""

    interaction: discord.Interaction
    channel_id: str
    started: float
    answered: bool = False

    def usable_for(self, channel_id: str, now: float) -> bool:
        return channel_id == self.channel_id and now - self.started < TOKEN_LIFETIME


current_interaction: contextvars.ContextVar[InteractionReply | None] = contextvars.ContextVar(
    "botkit_discord_interaction", default=None
)


class Followups:
    """Which interaction sent which follow-up, so edits go through the same webhook."""

    def __init__(self) -> None:
        self._by_id: OrderedDict[str, tuple[discord.Webhook, float]] = OrderedDict()

    def add(self, message_id: str, webhook: discord.Webhook) -> None:
        self._by_id[message_id] = (webhook, asyncio.get_running_loop().time())
        while len(self._by_id) > FOLLOWUPS_KEPT:
            self._by_id.popitem(last=False)

    def get(self, message_id: str) -> discord.Webhook | None:
        found = self._by_id.get(message_id)
        if found is None:
            return None
        webhook, sent_at = found
        if asyncio.get_running_loop().time() - sent_at >= TOKEN_LIFETIME:
            del self._by_id[message_id]
            return None
        return webhook
