"""Isolation as a property: several people in servers, threads and DMs teach, chat, change
settings, reset and forget, in any order; nobody ever sees another person's DM words or
another server's, and after ``!forgetme`` nothing of theirs is anywhere.

The real trainer (documents become knowledge) and chat plugin (memory) run against the fake
OpenAI server; every prompt it receives is checked. ``--hypothesis-profile botkit-isolation``
``BOTKIT_ISOLATION_EXAMPLES=300 pytest tests/test_isolation.py`` runs more than CI's twelve.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from botkit.models import Channel, ChannelKind, User, dm_space
from botkit.testing import ADMIN, start_harness
from botkit_testkit.openai_server import FakeOpenAI, content_text

API_KEY = "sk-isolation-test-key-0001"
PEOPLE = (
    User(id="11", name="alice"),
    User(id="12", name="bob"),
    User(id="13", name="carol"),
    ADMIN,
)
SERVERS = ("500", "501")
PLACES = ("server", "thread", "other server", "dm")

EXAMPLES = int(os.environ.get("BOTKIT_ISOLATION_EXAMPLES", "12"))  # CI's fixed number
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=12 if EXAMPLES <= 12 else 30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def channel_for(person: User, place: str) -> Channel:
    if place == "dm":
        return Channel(id=f"dm-{person.id}", name=person.name, kind=ChannelKind.DM)
    if place == "thread":
        return Channel(
            id="650", name="talk", kind=ChannelKind.THREAD, guild_id=SERVERS[0], parent_id="600"
        )
    guild = SERVERS[1] if place == "other server" else SERVERS[0]
    return Channel(id="601" if guild == SERVERS[1] else "600", name="general", guild_id=guild)


def space_of(person: User, place: str) -> str:
    channel = channel_for(person, place)
    return channel.guild_id or dm_space(person.id)


class Isolation(RuleBasedStateMachine):
    """One bot, several people; ``words`` remembers who said what where."""

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.folder = tempfile.TemporaryDirectory()
        self.counter = itertools.count(1)
        self.words: list[tuple[str, str, str]] = []  # (person id, space, phrase)
        self.forgotten: set[str] = set()
        self.prompts_seen = 0
        self.runner.run(self._start())

    async def _start(self) -> None:
        import botkit_trainer
        from botkit_openai_chat import plugin as chat

        os.environ["OPENAI_API_KEY"] = API_KEY
        self.fake = FakeOpenAI(api_key=API_KEY, chat_handler=lambda body: "noted")
        await self.fake.__aenter__()
        self.harness_cm = start_harness(
            {"openai_chat": chat, "trainer": botkit_trainer},
            config={
                "bot": {"owner_ids": ["1"]},
                "openai_chat": {"base_url": self.fake.base_url, "max_retries": 0},
                "trainer": {"base_url": self.fake.base_url},
            },
            data_dir=Path(self.folder.name) / "data",
        )
        self.bot = await self.harness_cm.__aenter__()

    def teardown(self) -> None:
        async def stop() -> None:
            await self.harness_cm.__aexit__(None, None, None)
            await self.fake.__aexit__(None, None, None)

        self.runner.run(stop())
        self.runner.close()
        self.folder.cleanup()

    def _phrase(self, kind: str) -> str:
        return f"{kind}{next(self.counter):04d}zq"

    async def _send(self, person: User, place: str, text: str, **kwargs) -> str:
        channel = channel_for(person, place)
        replies = await self.bot.send(text, user=person, channel=channel, **kwargs)
        return replies.text

    # --- what people do ---

    @rule(person=st.sampled_from(PEOPLE), place=st.sampled_from(PLACES))
    def teach(self, person: User, place: str) -> None:
        phrase = self._phrase("doc")
        text = f"The vault code is {phrase}. Keep {phrase} safe.".encode()
        attachment = self.bot.attachment(f"{phrase}.md", text, "text/markdown")
        self.runner.run(self._send(person, place, "!train", attachments=[attachment]))
        self.words.append((person.id, space_of(person, place), phrase))

    @rule(person=st.sampled_from(PEOPLE), place=st.sampled_from(PLACES))
    def chat(self, person: User, place: str) -> None:
        phrase = self._phrase("said")
        before = len(self.fake.requests)
        question = f"what is the vault code? {phrase}"
        self.runner.run(self._send(person, place, question, mention=place != "dm"))
        self.words.append((person.id, space_of(person, place), phrase))
        for request in self.fake.requests[before:]:
            if request.path == "/chat/completions":
                self._check_prompt(person, place, request.json)

    @rule(person=st.sampled_from(PEOPLE), place=st.sampled_from(PLACES))
    def reset(self, person: User, place: str) -> None:
        self.runner.run(self._send(person, place, "!reset"))

    @rule(place=st.sampled_from(("server", "other server", "dm")), value=st.floats(0, 2))
    def configure(self, place: str, value: float) -> None:
        self.runner.run(self._send(ADMIN, place, f"!config openai_chat temperature {value:.2f}"))

    @precondition(lambda self: len(self.forgotten) < len(PEOPLE))
    @rule(person=st.sampled_from(PEOPLE))
    def forget(self, person: User) -> None:
        self.runner.run(self._send(person, "dm", "!forgetme"))
        reply = self.runner.run(self._send(person, "dm", "!forgetme confirm"))
        assert "failed" not in reply.lower(), reply
        self.forgotten.add(person.id)
        self._check_gone(person.id)

    # --- what must always hold ---

    def _check_prompt(self, person: User, place: str, body: dict) -> None:
        """A prompt for ``person`` in ``place`` holds no other person's DM words and nothing
        said or taught in another space."""
        self.prompts_seen += 1
        prompt = " ".join(content_text(m.get("content")) for m in body["messages"])
        here = space_of(person, place)
        for owner, space, phrase in self.words:
            if space != here and phrase in prompt:
                pytest.fail(f"{phrase} from {space} (by {owner}) reached a prompt in {here}")

    def _check_gone(self, user_id: str) -> None:
        mine = [phrase for owner, _, phrase in self.words if owner == user_id]
        everything = self.runner.run(self._database_text()) + self._files_text()
        left = [phrase for phrase in mine if phrase in everything]
        assert not left, f"after !forgetme, {left} by {user_id} are still stored"

    async def _database_text(self) -> str:
        engine = self.bot.bot.storage.engine
        parts = []
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            for name in names:
                rows = await conn.execute(sa.text(f'SELECT * FROM "{name}"'))
                parts += [repr(tuple(row)) for row in rows]
        return "\n".join(parts)

    def _files_text(self) -> str:
        root = Path(self.folder.name) / "data"
        texts = []
        for path in root.rglob("*"):
            if path.is_file() and not path.name.startswith("botkit.db"):
                texts.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(texts)


Isolation.TestCase.settings = SETTINGS
TestIsolation = Isolation.TestCase
