"""Fixtures: a fake OpenAI server, and bots running the trainer against it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import botkit_trainer
import pytest
import pytest_asyncio

from botkit import Context, Reply, hookimpl
from botkit.testing import RecordingAdapter
from botkit_testkit.fireworks_server import DEFAULT_MODEL as FIREWORKS_MODEL
from botkit_testkit.fireworks_server import FakeFireworks
from botkit_testkit.openai_server import FakeOpenAI
from botkit_testkit.together_server import DEFAULT_MODEL as TOGETHER_MODEL
from botkit_testkit.together_server import FakeTogether

# The wall clock of every test bot unless it brings its own: before OpenAI's last day.
BEFORE_OPENAI_CLOSES = datetime(2026, 12, 7, tzinfo=UTC).timestamp()
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
        wall_clock: Callable[[], float] | None = None,
        **settings: Any,
    ) -> Any:
        return botkit_harness(
            plugins={"trainer": botkit_trainer, **(plugins or {})},
            config={"trainer": {**trainer_config, **settings}, "storage": {"url": backend_url}},
            adapter=adapter,
            wall_clock=wall_clock or (lambda: BEFORE_OPENAI_CLOSES),
        )

    return factory


def runtime(bot: Any) -> Any:
    """The trainer's runtime (its handle's state) in a running harness bot."""
    return bot.bot.plugin_handle("trainer").state


def trainer_settings(bot: Any) -> Any:
    return bot.bot.plugin_handle("trainer").settings


async def poll(bot: Any) -> None:
    """Run one round of the bot's job poller and wait for it."""
    await runtime(bot).poller.poll_now()


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
    def botkit_training_examples(self, plugin: Any, guild_id: str | None) -> list[dict[str, Any]]:
        return self.records


async def offered_models(bot: Any, guild_id: str | None = "500") -> list[str]:
    """What the trainer's botkit_models hook offers the chat plugin."""
    found = await bot.call_all("botkit_models", guild_id=guild_id)
    return [name for plugin, names in found if plugin == "trainer" for name in names]


async def health(bot: Any) -> list[Any]:
    """The trainer's botkit_health problems."""
    found = await bot.call_all("botkit_health")
    return [problem for plugin, problems in found if plugin == "trainer" for problem in problems]


def replies_and_logs(replies: Any, caplog: pytest.LogCaptureFixture) -> str:
    """Everything a user or the log could see, to search for secrets."""
    return "\n".join([replies.text, *(r.getMessage() for r in caplog.records)])


TOGETHER_KEY_ENV = "BOTKIT_TRAINER_TOGETHER_KEY"
TOGETHER_KEY = "tgp_v1_together-secret-key"
FIREWORKS_KEY_ENV = "BOTKIT_TRAINER_FIREWORKS_KEY"
FIREWORKS_KEY = "fw_fireworks-secret-key"


@pytest_asyncio.fixture
async def together() -> AsyncIterator[FakeTogether]:
    async with FakeTogether(api_key=TOGETHER_KEY) as server:
        yield server


@pytest_asyncio.fixture
async def fireworks() -> AsyncIterator[FakeFireworks]:
    async with FakeFireworks(api_key=FIREWORKS_KEY, account="acme") as server:
        yield server


@pytest.fixture
def together_config(together: FakeTogether, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv(TOGETHER_KEY_ENV, TOGETHER_KEY)
    return {
        "provider": "together",
        "base_url": together.base_url,
        "api_key_env": TOGETHER_KEY_ENV,
        "base_model": TOGETHER_MODEL,
    }


@pytest.fixture
def fireworks_config(fireworks: FakeFireworks, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv(FIREWORKS_KEY_ENV, FIREWORKS_KEY)
    return {
        "provider": "fireworks",
        "base_url": fireworks.base_url,
        "api_key_env": FIREWORKS_KEY_ENV,
        "base_model": FIREWORKS_MODEL,
        "account_id": "acme",
        "dataset_ready_timeout": 1.0,
    }
