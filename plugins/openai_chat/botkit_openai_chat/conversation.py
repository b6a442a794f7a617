"""Which conversation a message belongs to.

A reply to one of the bot's answers continues that answer's conversation; otherwise a thread
is one conversation, a DM is one, and in any other channel each user has their own. Nobody
ever writes into another user's conversation: replying to an answer given to someone else
starts a new conversation that begins with a copy of theirs up to that answer. A reply finds
the answer's conversation only in the space (server, or one person's DMs) it was given in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from botkit import ChannelKind, Context
from botkit.util import clean_text
from botkit_openai_chat import store
from botkit_openai_chat.state import ChatState
from botkit_openai_chat.store import Turn

if TYPE_CHECKING:
    from botkit import Storage


@attrs.frozen
class Conversation:
    """A conversation key, and what a new conversation under that key starts from."""

    key: str
    parent: tuple[str, int] | None = None  # start from this conversation, up to this turn
    seed: tuple[Turn, ...] = ()  # or start from these turns


def owner_of(key: str) -> str:
    """The user a conversation belongs to; empty when it is shared (a thread)."""
    return key.rsplit(":", 1)[1]


def is_shared(key: str) -> bool:
    """Whether several people write in this conversation (a thread's)."""
    return owner_of(key) == ""


async def resolve(ctx: Context, storage: Storage) -> Conversation:
    """The conversation ``ctx.message`` continues or starts."""
    message, user = ctx.message, ctx.message.author.id
    channel, reference = message.channel, message.reference
    if reference is not None and reference.author.id == ctx.plugin.capabilities.bot_user_id:
        linked = None
        if reference.reply_to:
            linked = await store.conversation_of(storage, ctx.space, reference.reply_to)
        if linked is not None and owner_of(linked[0]) in ("", user):
            return Conversation(linked[0])
        key = f"reply:{reference.id}:{user}"
        if linked is not None:
            return Conversation(key, parent=linked)
        seed = (Turn("assistant", clean_text(reference.content)),) if reference.content else ()
        return Conversation(key, seed=seed)
    if channel.kind is ChannelKind.THREAD:
        return Conversation(f"thread:{channel.id}:")
    if channel.kind is ChannelKind.DM:
        return Conversation(f"dm:{channel.id}:{user}")
    return Conversation(f"channel:{channel.id}:{user}")


async def load(state: ChatState, conversation: Conversation) -> tuple[list[Turn], bool]:
    """The conversation's turns, and whether they are a starting point not yet stored."""
    turns = await state.history(conversation.key)
    if turns:
        return turns, False
    if conversation.parent is not None:
        key, turn = conversation.parent
        limit = state.settings.history_messages
        return await store.history_until(state.storage, key, turn, limit), True
    return list(conversation.seed), True
