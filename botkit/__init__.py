"""botkit: a plugin-based chat-bot framework for Discord, Telegram and the console.

The contract comes in tiers, each a module with its ``__all__`` (tests/test_contract.py holds
every distribution to them):

- ``botkit``: what a plugin is written with (handles, commands, models, settings);
- ``botkit.util``: small helpers plugins share (text, secrets, paths, ffmpeg);
- ``botkit.adapter``: what an adapter is written with;
- ``botkit.testing``: the test kit (a pytest plugin).

The rest of the package is the host's own and may change without notice. Names load their
module on first use, so ``import botkit`` (and ``botkit --version``) costs next to nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botkit.adapters.base import Voice, VoiceError
    from botkit.commands import Command, Concurrency, Cooldown, Permission, command
    from botkit.config import not_negative, positive, setting
    from botkit.context import CommandError, Context
    from botkit.handle import PluginHandle
    from botkit.health import Problem
    from botkit.hookspecs import hookimpl
    from botkit.models import (
        Attachment,
        Audio,
        Button,
        Channel,
        ChannelKind,
        File,
        Message,
        Press,
        Reaction,
        ReferencedMessage,
        Reply,
        User,
    )
    from botkit.results import Refusal
    from botkit.storage import Storage
    from botkit.tools import Tool

__version__ = "0.2.0"

_EXPORTS = {
    "Attachment": "botkit.models",
    "Audio": "botkit.models",
    "Button": "botkit.models",
    "Channel": "botkit.models",
    "ChannelKind": "botkit.models",
    "Command": "botkit.commands",
    "CommandError": "botkit.context",
    "Concurrency": "botkit.commands",
    "Context": "botkit.context",
    "Cooldown": "botkit.commands",
    "File": "botkit.models",
    "Message": "botkit.models",
    "Permission": "botkit.commands",
    "PluginHandle": "botkit.handle",
    "Press": "botkit.models",
    "Problem": "botkit.health",
    "Reaction": "botkit.models",
    "ReferencedMessage": "botkit.models",
    "Refusal": "botkit.results",
    "Reply": "botkit.models",
    "Storage": "botkit.storage",
    "Tool": "botkit.tools",
    "User": "botkit.models",
    "Voice": "botkit.adapters.base",
    "VoiceError": "botkit.adapters.base",
    "command": "botkit.commands",
    "hookimpl": "botkit.hookspecs",
    "not_negative": "botkit.config",
    "positive": "botkit.config",
    "setting": "botkit.config",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'botkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Attachment",
    "Audio",
    "Button",
    "Channel",
    "ChannelKind",
    "Command",
    "CommandError",
    "Concurrency",
    "Context",
    "Cooldown",
    "File",
    "Message",
    "Permission",
    "PluginHandle",
    "Press",
    "Problem",
    "Reaction",
    "ReferencedMessage",
    "Refusal",
    "Reply",
    "Storage",
    "Tool",
    "User",
    "Voice",
    "VoiceError",
    "command",
    "hookimpl",
    "not_negative",
    "positive",
    "setting",
]
