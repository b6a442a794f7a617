"""botkit: a plugin-based chat-bot framework for Discord, Telegram and the console.

Everything a plugin may use is exported here (``__all__``); the rest of the package is the
host's own and may change without notice. Names load their module on first use, so
``import botkit`` (and ``botkit --version``) costs next to nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botkit.adapters.base import (
        Adapter,
        AdapterSetup,
        AdapterSpec,
        AdapterStartError,
        Host,
        Voice,
        VoiceConnections,
        VoiceError,
    )
    from botkit.commands import (
        Command,
        Concurrency,
        Cooldown,
        Parameter,
        Permission,
        UsageError,
        command,
    )
    from botkit.config import not_negative, positive, setting
    from botkit.context import CommandError, Context
    from botkit.handle import Capabilities, PluginHandle
    from botkit.health import Problem
    from botkit.hookspecs import hookimpl
    from botkit.logs import redact, remember_secret
    from botkit.metrics import count_tokens, set_job_counts, set_queue_depth
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
        Sent,
        User,
    )
    from botkit.paths import UnsafePath, safe_filename, sha256_problem
    from botkit.storage import Storage
    from botkit.text import clean_text, split_text
    from botkit.tools import Tool

__version__ = "0.2.0"

_EXPORTS = {
    "Adapter": "botkit.adapters.base",
    "AdapterSetup": "botkit.adapters.base",
    "AdapterSpec": "botkit.adapters.base",
    "AdapterStartError": "botkit.adapters.base",
    "Attachment": "botkit.models",
    "Audio": "botkit.models",
    "Button": "botkit.models",
    "Capabilities": "botkit.handle",
    "Channel": "botkit.models",
    "ChannelKind": "botkit.models",
    "Command": "botkit.commands",
    "Concurrency": "botkit.commands",
    "CommandError": "botkit.context",
    "Context": "botkit.context",
    "Cooldown": "botkit.commands",
    "File": "botkit.models",
    "Host": "botkit.adapters.base",
    "Message": "botkit.models",
    "Parameter": "botkit.commands",
    "Permission": "botkit.commands",
    "PluginHandle": "botkit.handle",
    "Problem": "botkit.health",
    "Press": "botkit.models",
    "Reaction": "botkit.models",
    "ReferencedMessage": "botkit.models",
    "Reply": "botkit.models",
    "Sent": "botkit.models",
    "Storage": "botkit.storage",
    "Tool": "botkit.tools",
    "UnsafePath": "botkit.paths",
    "UsageError": "botkit.commands",
    "User": "botkit.models",
    "Voice": "botkit.adapters.base",
    "VoiceConnections": "botkit.adapters.base",
    "VoiceError": "botkit.adapters.base",
    "clean_text": "botkit.text",
    "command": "botkit.commands",
    "count_tokens": "botkit.metrics",
    "hookimpl": "botkit.hookspecs",
    "not_negative": "botkit.config",
    "positive": "botkit.config",
    "redact": "botkit.logs",
    "remember_secret": "botkit.logs",
    "safe_filename": "botkit.paths",
    "sha256_problem": "botkit.paths",
    "set_job_counts": "botkit.metrics",
    "set_queue_depth": "botkit.metrics",
    "setting": "botkit.config",
    "split_text": "botkit.text",
}


def ffmpeg_executable() -> str | None:
    """Path to ffmpeg (the system's, else imageio-ffmpeg's), or None."""
    from botkit.ffmpeg import ffmpeg_executable as find

    return find()


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
    "Adapter",
    "AdapterSetup",
    "AdapterSpec",
    "AdapterStartError",
    "Attachment",
    "Audio",
    "Button",
    "Capabilities",
    "Channel",
    "ChannelKind",
    "Command",
    "CommandError",
    "Concurrency",
    "Context",
    "Cooldown",
    "File",
    "Host",
    "Message",
    "Parameter",
    "Permission",
    "PluginHandle",
    "Press",
    "Problem",
    "Reaction",
    "ReferencedMessage",
    "Reply",
    "Sent",
    "Storage",
    "Tool",
    "UnsafePath",
    "UsageError",
    "User",
    "Voice",
    "VoiceConnections",
    "VoiceError",
    "clean_text",
    "command",
    "count_tokens",
    "ffmpeg_executable",
    "hookimpl",
    "not_negative",
    "positive",
    "redact",
    "remember_secret",
    "safe_filename",
    "set_job_counts",
    "set_queue_depth",
    "setting",
    "sha256_problem",
    "split_text",
]
