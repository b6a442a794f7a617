"""A bot with the chat plugin, talking to a local fake OpenAI server through the real client."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from botkit_openai_chat import ChatPlugin

from botkit_testkit.openai_server import FakeOpenAI

API_KEY = "sk-test-Zq8v2LmX41"
START = datetime(2024, 5, 17, 21, 30, tzinfo=UTC)


@attrs.define
class Clock:
    """A wall clock (``now``) and a monotonic clock (``__call__``) that tests move by hand.

    With ``tick`` set, each reading of the monotonic clock moves time on by that much.
    """

    at: datetime = START
    tick: float = 0.0

    def now(self) -> datetime:
        return self.at

    def __call__(self) -> float:
        self.advance(self.tick)
        return (self.at - START).total_seconds()

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return API_KEY


def chat_config(server: FakeOpenAI, **settings: Any) -> dict[str, Any]:
    """The ``[openai_chat]`` section for ``server``: fast failures unless a test says otherwise."""
    return {"base_url": server.base_url, "max_retries": 0, "rate_per_minute": 0} | settings


@pytest.fixture
def database_url() -> str:
    """SQLite; test modules about storage override this with ``storage_url`` (both backends)."""
    return ""


@pytest.fixture
def chat_bot(
    botkit_harness: Callable[..., Any], server: FakeOpenAI, clock: Clock, database_url: str
) -> Any:
    """Factory: ``async with chat_bot(stream=True, plugins={...}) as bot``: settings as keywords,
    other sections of botkit.toml in ``config``, ``adapter`` a RecordingAdapter of your own."""

    def start(
        *,
        plugins: dict[str, object] | None = None,
        config: dict[str, Any] | None = None,
        adapter: Any = None,
        **settings: Any,
    ) -> Any:
        return botkit_harness(
            plugins={"openai_chat": ChatPlugin(now=clock.now)} | (plugins or {}),
            config={
                "openai_chat": chat_config(server, **settings),
                "storage": {"url": database_url},
            }
            | (config or {}),
            clock=clock,
            adapter=adapter,
        )

    return start


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sent_messages(server: FakeOpenAI) -> list[dict[str, str]]:
    """The chat messages of the last chat request the server received."""
    chats = [r for r in server.requests if r.path == "/chat/completions"]
    return chats[-1].json["messages"]


def said(server: FakeOpenAI) -> list[str]:
    """The contents of the last request's messages, system prompt left out."""
    return [m["content"] for m in sent_messages(server) if m["role"] != "system"]


def chat_state(bot: Any) -> Any:
    """The chat plugin's state in a running harness bot."""
    return bot.bot.plugin_handle("openai_chat").state
