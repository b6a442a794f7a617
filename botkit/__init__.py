"""botkit: a plugin-based chat-bot framework for Discord."""

from botkit.commands import Command, Parameter, Permission, UsageError, command
from botkit.config import not_negative, positive, setting
from botkit.context import CommandError, Context
from botkit.health import Problem
from botkit.hookspecs import hookimpl
from botkit.models import (
    Attachment,
    Audio,
    Channel,
    ChannelKind,
    File,
    Message,
    ReferencedMessage,
    Reply,
    Sent,
    User,
)

__version__ = "0.2.0"

__all__ = [
    "Attachment",
    "Audio",
    "Channel",
    "ChannelKind",
    "Command",
    "CommandError",
    "Context",
    "File",
    "Message",
    "Parameter",
    "Permission",
    "Problem",
    "ReferencedMessage",
    "Reply",
    "Sent",
    "UsageError",
    "User",
    "command",
    "hookimpl",
    "not_negative",
    "positive",
    "setting",
]
