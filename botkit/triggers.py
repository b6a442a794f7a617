"""The trigger policy: which plain (non-command) messages the bot answers."""

from __future__ import annotations

from botkit.config import BotSettings
from botkit.models import ChannelKind, Message


def should_answer(message: Message, settings: BotSettings, bot_user_id: str) -> bool:
    """True when the message is for the bot under the configured triggers."""
    on = set(settings.triggers)
    channel = message.channel
    reference = message.reference
    return (
        message.spoken  # someone the bot listens to spoke to it in a voice channel
        or "all" in on
        or ("dm" in on and channel.kind is ChannelKind.DM)
        or ("mention" in on and message.mentions_bot)
        or ("reply" in on and reference is not None and reference.author.id == bot_user_id)
        or (
            "thread" in on
            and channel.kind is ChannelKind.THREAD
            and channel.owner_id == bot_user_id
        )
        or channel.id in settings.allowed_channels
        or (channel.parent_id is not None and channel.parent_id in settings.allowed_channels)
    )
