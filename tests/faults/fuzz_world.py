"""A bot with every installed plugin, a fake OpenAI service behind it, and the checks every
fuzzed input must pass: no unhandled exception, no plugin failure, no traceback and no key in
a reply, no hang."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
from fault_plugins import FakeClock
from hypothesis import HealthCheck, settings

from botkit.bot import Bot
from botkit.commands import Command
from botkit.config import Config
from botkit.models import Attachment, Channel, ChannelKind, Message, Reaction, User
from botkit.testing import ADMIN, MEMBER, OWNER, BotHarness, RecordingAdapter
from botkit_testkit.openai_server import FakeOpenAI

KEY = "llm-credential-6d1f0a9c"  # an unusual shape: only the configured variable reveals it
KEY_ENV = "LLM_CREDENTIAL"
STEP = 61.0  # simulated seconds between two inputs: past every cooldown and rate window
HANG = 30.0  # seconds: far beyond any answer here; reaching it means the bot hung
USERS = (OWNER, ADMIN, MEMBER)
DM = Channel(id="dm-3", name="member", kind=ChannelKind.DM)
BAD_WORDS = ("Traceback", "details are in the bot's log", "took too long and was stopped")

settings.register_profile(
    "botkit-fuzz",
    max_examples=1300,  # scaled per test by its share: about 9,600 inputs per run in all
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "botkit-fuzz-long", parent=settings.get_profile("botkit-fuzz"), max_examples=20_000
)
FUZZ = settings.get_profile(os.environ.get("BOTKIT_FUZZ_PROFILE", "botkit-fuzz"))


def examples(share: float) -> int:
    return max(1, int(FUZZ.max_examples * share))


def config(data_dir: Path, base_url: str, storage_url: str = "") -> dict[str, Any]:
    service = {"base_url": base_url, "api_key_env": KEY_ENV}
    return {
        "bot": {"data_dir": str(data_dir), "typing_delay": 0.0, "hook_timeout": 20.0},
        "storage": {"url": storage_url},
        "openai_chat": {**service, "max_retries": 0, "rate_per_minute": 1_000_000},
        "trainer": {**service, "provider": "openai", "max_retries": 0},
        "voice": {**service, "tts_engine": "openai", "stt_engine": "openai"},
    }


@attrs.define
class World:
    """One running bot for a whole fuzz test (examples share it, as users share a bot)."""

    server: FakeOpenAI
    harness: BotHarness
    clock: FakeClock
    seen: int = 0  # inputs handled
    invoked: int = 0  # commands whose callback ran

    @classmethod
    async def open(
        cls, data_dir: Path, storage_url: str = "", extra: dict[str, object] | None = None
    ) -> World:
        server = FakeOpenAI(api_key=KEY, echo_key=True)
        await server.start()
        clock = FakeClock()
        bot = Bot.build(
            Config.from_dict(config(data_dir, server.base_url, storage_url)),
            extra_plugins=(extra or {}).items(),
            strict=False,
            clock=clock,
        )
        adapter = RecordingAdapter()
        await bot.start(adapter)
        world = cls(server, BotHarness(bot, adapter), clock)
        invoke = bot.dispatcher._invoke

        async def counted(*args: Any, **kwargs: Any) -> None:
            world.invoked += 1
            await invoke(*args, **kwargs)

        bot.dispatcher._invoke = counted  # type: ignore[method-assign]
        return world

    async def close(self) -> None:
        await self.harness.bot.stop()
        await self.server.stop()

    @property
    def commands(self) -> list[str]:
        return [c.name for c in self.harness.bot.commands.unique()]

    def loaded(self) -> list[str]:
        return [s.name for s in self.harness.bot.plugins.statuses.values() if s.state == "ok"]

    async def check(
        self,
        content: str,
        *,
        user: User = OWNER,
        dm: bool = False,
        attachments: tuple[Attachment, ...] = (),
    ) -> list[str]:
        """Send one message; fail on anything a user must never see. Returns the replies."""
        channel = Channel(id=f"dm-{user.id}", kind=ChannelKind.DM) if dm else self.harness.channel
        return await self.watch(
            content,
            lambda: self.harness.send(content, user=user, channel=channel, attachments=attachments),
        )

    async def check_slash(
        self, cmd: Command, values: dict[str, Any], user: User = OWNER
    ) -> list[str]:
        """Run ``cmd`` with already bound options, as a Discord slash command arrives."""
        message = Message(
            id=self.harness.adapter.next_id(), content="", author=user, channel=self.harness.channel
        )
        return await self.watch(
            f"/{cmd.name} {values!r}", lambda: self.harness.bot.handle_command(message, cmd, values)
        )

    async def check_reaction(self, message_id: str, emoji: str, user: User, added: bool) -> None:
        reaction = Reaction(message_id, emoji, added, user, self.harness.channel)
        await self.watch(f"reaction {emoji!r}", lambda: self.harness.bot.handle_reaction(reaction))

    async def watch(self, what: str, run: Callable[[], Awaitable[Any]]) -> list[str]:
        """Run one input; fail on an unhandled exception, a hang, a plugin failure, or a reply
        with a traceback, a failure notice or the key."""
        statuses = self.harness.bot.plugins.statuses
        before = {n: (s.failures, s.bad_results, s.timeouts) for n, s in statuses.items()}
        sent = len(self.harness.adapter.sent)
        self.clock.advance(STEP)
        async with asyncio.timeout(HANG):
            await run()
        self.seen += 1
        replies = self.harness.adapter.sent[sent:]
        texts = [s.text for s in replies] + [f.filename for s in replies for f in s.files]
        for text in texts:
            assert not any(word in text for word in BAD_WORDS), (what, text)
            assert KEY not in text, (what, text)
        after = {n: (s.failures, s.bad_results, s.timeouts) for n, s in statuses.items()}
        assert after == before, f"a plugin failed on {what!r}: {before} -> {after}"
        return texts
