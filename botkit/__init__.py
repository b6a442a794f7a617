"""botkit: a plugin-based chat-bot framework for Discord, Telegram and the console.

Everything a plugin may use is exported here (``__all__``); the rest of the package is the
host's own and may change without notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botkit.adapters.base import (
    Adapter,
    AdapterSetup,
    AdapterSpec,
    AdapterStartError,
    Voice,
    VoiceConnections,
    VoiceError,
)
from botkit.commands import Command, Cooldown, Parameter, Permission, UsageError, command
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
    Channel,
    ChannelKind,
    File,
    Message,
    Reaction,
    ReferencedMessage,
    Reply,
    Sent,
    User,
)
from botkit.paths import UnsafePath, safe_filename
from botkit.text import clean_text, split_text

if TYPE_CHECKING:
    from botkit.storage import Storage

__version__ = "0.2.0"


def ffmpeg_executable() -> str | None:
    """Path to ffmpeg (the system's, else imageio-ffmpeg's), or None."""
    from botkit.ffmpeg import ffmpeg_executable as find

    return find()


def __getattr__(name: str) -> Any:
    if name == "Storage":  # imports SQLAlchemy: only when a plugin asks for it
        from botkit.storage import Storage

        return Storage
    raise AttributeError(f"module 'botkit' has no attribute {name!r}")


__all__ = [
    "Adapter",
    "AdapterSetup",
    "AdapterSpec",
    "AdapterStartError",
    "Attachment",
    "Audio",
    "Capabilities",
    "Channel",
    "ChannelKind",
    "Command",
    "CommandError",
    "Context",
    "Cooldown",
    "File",
    "Message",
    "Parameter",
    "Permission",
    "PluginHandle",
    "Problem",
    "Reaction",
    "ReferencedMessage",
    "Reply",
    "Sent",
    "Storage",
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
    "split_text",
]
