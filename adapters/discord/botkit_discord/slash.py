"""Slash commands generated from botkit Commands, and answering through the interaction.

An invocation's options bind straight to the command's parameters (``/train_start name:a``
calls the ``train start`` callback with ``name="a"``); the host then applies the same rules,
cooldowns and error replies as for ``!train start a``. The interaction is deferred at once;
replies to the invocation go out as its follow-ups while its token lasts.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Optional

import attrs
import discord
from discord import app_commands

from botkit.adapter import Attachment, BoundedMap, Command, Parameter, Permission

log = logging.getLogger("botkit.discord")

NAME_LIMIT = 32
DESCRIPTION_LIMIT = 100
COMMAND_LIMIT = 100  # Discord's limit on global chat-input commands
OPTION_LIMIT = 25
TOKEN_LIFETIME = 14 * 60.0  # interaction tokens last 15 minutes
FOLLOWUPS_KEPT = 1000
_NOT_NAME = re.compile(r"[^\w-]")

Invoke = Callable[[Command, discord.Interaction, dict[str, Any]], Awaitable[None]]


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


def bind_options(cmd: Command, options: dict[str, Any], attach: Callable[[Any], Any]) -> dict:
    """The callback's arguments from a slash invocation's options; ``attach`` turns a
    ``discord.Attachment`` into a botkit ``Attachment``."""
    values: dict[str, Any] = {}
    for param in cmd.parameters:
        value = options.get(option_name(param))
        if value is None:
            values[param.name] = param.default
        elif param.type is Attachment:
            values[param.name] = attach(value)
        else:
            values[param.name] = value
    return values


@attrs.define
class InteractionReply:
    """The interaction a handling task answers, until its token expires."""

    interaction: discord.Interaction
    channel_id: str
    started: float
    answered: bool = False

    def usable_for(self, channel_id: str, now: float) -> bool:
        return channel_id == self.channel_id and now - self.started < TOKEN_LIFETIME


class Interactions:
    """The interactions being answered, by the id of the message they stand for."""

    def __init__(self) -> None:
        self._by_id: BoundedMap[str, InteractionReply] = BoundedMap(FOLLOWUPS_KEPT)

    def add(self, message_id: str, reply: InteractionReply) -> None:
        self._by_id[message_id] = reply

    def pop(self, message_id: str) -> InteractionReply | None:
        return self._by_id.pop(message_id, None)

    def usable(
        self, message_id: str | None, channel_id: str, now: float
    ) -> InteractionReply | None:
        """The interaction that ``message_id`` stands for, if it can still answer here."""
        found = self._by_id.get(message_id) if message_id else None
        return found if found is not None and found.usable_for(channel_id, now) else None

    def pending_in(self, channel_id: str) -> bool:
        """Whether an unanswered interaction shows "thinking" in this channel."""
        return any(r.channel_id == channel_id and not r.answered for r in self._by_id.values())


class Followups:
    """Which interaction sent which follow-up, so edits go through the same webhook."""

    def __init__(self) -> None:
        self._by_id: BoundedMap[str, tuple[discord.Webhook, float]] = BoundedMap(FOLLOWUPS_KEPT)

    def add(self, message_id: str, webhook: discord.Webhook) -> None:
        self._by_id[message_id] = (webhook, asyncio.get_running_loop().time())

    def get(self, message_id: str) -> discord.Webhook | None:
        found = self._by_id.get(message_id)
        if found is None:
            return None
        webhook, sent_at = found
        if asyncio.get_running_loop().time() - sent_at >= TOKEN_LIFETIME:
            del self._by_id[message_id]
            return None
        return webhook
