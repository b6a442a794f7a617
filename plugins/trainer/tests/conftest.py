"""Fixtures: a fake OpenAI server, and bots running the trainer against it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import botkit_trainer
import pytest
import pytest_asyncio
from botkit_testkit.openai_server import FakeOpenAI
from botkit_trainer.host import runtime_for

from botkit import Context, Reply, hookimpl
from botkit.testing import RecordingAdapter

KEY_ENV = "BOTKIT_TRAINER_TEST_KEY"
KEY = "sk-test"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture
def trainer_config(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Settings pointing at the fake server, with a poller that only runs when asked."""
    monkeypatch.setenv(KEY_ENV, KEY)
    return {
        "base_url": fake.base_url,
        "api_key_env": KEY_ENV,
        "base_model": "gpt-4o-mini",
        "max_retries": 0,
        "poll_interval": 3600.0,
        "min_examples": 3,
    }


# Tests of what is stored and searched run on both backends: ``@both_backends``.
both_backends = pytest.mark.parametrize("backend_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend_url(request: pytest.FixtureRequest) -> str:
    """The ``[storage] url``: "" (SQLite in the data directory) or a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return ""
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def start(
    botkit_harness: Callable[..., Any], trainer_config: dict[str, Any], backend_url: str
) -> Callable[..., Any]:
    """``async with start(extra_plugins, **trainer_settings) as bot``: a bot with the trainer."""

    def factory(
        plugins: dict[str, object] | None = None,
        *,
        adapter: RecordingAdapter | None = None,
        **settings: Any,
    ) -> Any:
        return botkit_harness(
            plugins={"trainer": botkit_trainer, **(plugins or {})},
            config={"trainer": {**trainer_config, **settings}, "storage": {"url": backend_url}},
            adapter=adapter,
        )

    return factory


async def poll(bot: Any) -> None:
    """Run one round of the bot's job poller and wait for it."""
    await runtime_for(bot.bot).poller.poll_now()


def qa_lines(count: int, prefix: str = "question") -> bytes:
    """A .jsonl file of ``count`` distinct prompt/completion rows."""
    rows = [f'{{"prompt": "{prefix} {i}?", "completion": "answer {i}."}}' for i in range(count)]
    return ("\n".join(rows) + "\n").encode()


class Chat:
    """A chat plugin answering from a table; records what it was asked and the snippets."""

    def __init__(self, answers: dict[str, str], *, stream: bool = False) -> None:
        self.answers = answers
        self.stream = stream
        self.calls: list[tuple[str, list[str]]] = []

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> Reply | str:
        self.calls.append((text, snippets))
        answer = self.answers.get(text, "I do not know.")
        if not self.stream:
            return answer

        async def pieces() -> AsyncIterator[str]:
            for word in answer.split(" "):
                yield word + " "

        return Reply(stream=pieces())


class Corrections:
    """A plugin offering training examples through the hook, as the feedback plugin does."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    @hookimpl
    def botkit_training_examples(self, bot: Any, guild_id: str | None) -> list[dict[str, Any]]:
        return self.records
