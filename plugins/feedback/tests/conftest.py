"""A bot with the feedback plugin and a chat plugin that answers, on SQLite and PostgreSQL.

Every test that starts a bot through ``feedback_bot`` runs once per storage backend
(``storage_url`` from botkit_testkit.postgres).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from botkit_feedback import FeedbackPlugin
from botkit_feedback.tables import metadata
from sqlalchemy import select

from botkit import Context, User, hookimpl
from botkit.adapter import Sent

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
QUESTION = "What is the capital of Australia?"
ANSWER = "The capital of Australia is Sydney."


class Answerer:
    """A chat plugin that gives the same (wrong) answer to every question."""

    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return ANSWER


@pytest.fixture
def feedback_bot(botkit_harness: Callable[..., Any], storage_url: str) -> Callable[..., Any]:
    """Factory: ``async with feedback_bot(config={...}, plugins={...}) as bot: ...``."""

    def start(
        *, config: dict[str, Any] | None = None, plugins: dict[str, object] | None = None
    ) -> Any:
        return botkit_harness(
            plugins={"feedback": FeedbackPlugin(now=lambda: NOW), "chat": Answerer()}
            | (plugins or {}),
            config={"storage": {"url": storage_url}} | (config or {}),
        )

    return start


@pytest.fixture
def feedback_discord(discord_harness: Callable[..., Any], storage_url: str) -> Callable[..., Any]:
    """Factory: the same bot on the Discord adapter against the fake Discord."""

    def start() -> Any:
        return discord_harness(
            plugins={"feedback": FeedbackPlugin(now=lambda: NOW), "chat": Answerer()},
            config={"storage": {"url": storage_url}},
        )

    return start


@pytest.fixture
def feedback_telegram(telegram_harness: Callable[..., Any], storage_url: str) -> Callable[..., Any]:
    """Factory: the same bot on the Telegram adapter against the fake Bot API (``plugins``
    added to, or replacing, the feedback plugin and the chat plugin that answers)."""

    def start(plugins: dict[str, object] | None = None) -> Any:
        return telegram_harness(
            plugins={"feedback": FeedbackPlugin(now=lambda: NOW), "chat": Answerer()}
            | (plugins or {}),
            config={"storage": {"url": storage_url}},
        )

    return start


@pytest.fixture
def ask() -> Callable[..., Awaitable[Sent]]:
    """``await ask(bot)``: a user asks the bot something; returns the bot's answer."""

    async def ask(
        bot: Any, question: str = QUESTION, *, user: User | None = None, **kwargs: Any
    ) -> Sent:
        replies = await bot.send(question, mention=True, user=user or bot.member, **kwargs)
        assert replies.text == ANSWER
        return replies[0]

    return ask


@pytest.fixture
def stored() -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """``await stored(bot, "feedback_corrections")``: the table's rows, oldest first."""

    async def rows(bot: Any, table_name: str) -> list[dict[str, Any]]:
        table = metadata.tables[table_name]
        async with bot.bot.storage.session() as session:
            result = await session.execute(select(table).order_by(table.c.id))
        return [dict(row) for row in result.mappings()]

    return rows
