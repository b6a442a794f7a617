"""Small plugins the adapter's tests run with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from botkit import Context, Permission, Reaction, Reply, command, hookimpl


class EchoChat:
    """A chat plugin that repeats what it was told (and what it was replying to)."""

    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        reference = ctx.message.reference
        quoted = f" (about: {reference.content})" if reference is not None else ""
        return f"you said: {text}{quoted}"


class Streaming:
    """A chat plugin whose answer arrives in pieces."""

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces

    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply:
        async def stream() -> AsyncIterator[str]:
            for piece in self.pieces:
                yield piece

        return Reply(stream=stream())


class Long:
    """A chat plugin answering with a fixed (long) text."""

    def __init__(self, text: str) -> None:
        self.text = text

    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return self.text


class Slow:
    """A chat plugin that takes a moment to answer (so the typing indicator shows)."""

    def __init__(self, text: str) -> None:
        self.text = text

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        await asyncio.sleep(0.05)
        return self.text


class Commands:
    """Commands that show what the host made of a Telegram message."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    @hookimpl
    def botkit_commands(self) -> list[Any]:
        async def train_start(ctx: Context, *, dataset: str = "") -> str:
            """Start training on a dataset."""
            return f"training on {dataset or 'nothing'}"

        async def wipe(ctx: Context) -> str:
            """Only admins may wipe."""
            return "wiped"

        async def whoami(ctx: Context) -> str:
            """Who the bot thinks you are."""
            author = ctx.message.author
            self.seen.append(ctx.message)
            return f"{author.name} admin={author.is_admin} owner={author.is_owner}"

        return [
            command(train_start, name="train start"),
            command(wipe, permission=Permission.ADMIN),
            command(whoami),
        ]


class Ratings:
    """Records every reaction the host hands on."""

    def __init__(self) -> None:
        self.reactions: list[Reaction] = []

    @hookimpl
    def botkit_reaction(self, ctx: Context, reaction: Reaction) -> None:
        self.reactions.append(reaction)


class Observer:
    """Keeps every message the host hands to plugins."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    @hookimpl
    def botkit_message_received(self, ctx: Context) -> None:
        self.messages.append(ctx.message)
