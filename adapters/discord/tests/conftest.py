"""A chat plugin that answers plain messages (``discord_harness`` comes from botkit-testkit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import botkit
from botkit_testkit.discord import FakeDiscord


class Echo:
    """A chat plugin: answers every message that passes the trigger policy."""

    def __init__(self) -> None:
        self.seen: list[botkit.Message] = []

    @botkit.hookimpl
    def botkit_respond(self, ctx: botkit.Context, text: str, snippets: list[str]) -> str:
        self.seen.append(ctx.message)
        return f"echo: {text}"


@pytest.fixture
def echo() -> Echo:
    return Echo()


@pytest.fixture
def echo_bot(discord_harness, echo: Echo) -> Callable[..., Any]:
    """``async with echo_bot(fake=None, **bot_settings) as dh``: the built-ins plus Echo."""

    def start(fake: FakeDiscord | None = None, **bot: Any) -> Any:
        return discord_harness(plugins={"echo": echo}, config={"bot": bot}, fake=fake)

    return start
