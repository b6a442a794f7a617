"""A bot that keeps going when plugins fail (not strict), a hand-driven clock, helper plugins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fault_plugins import FakeClock

from botkit.bot import Bot
from botkit.config import Config
from botkit.testing import BotHarness, RecordingAdapter

HOOK_TIMEOUT = 0.05  # seconds: a hook that never finishes is cut off at once


@asynccontextmanager
async def lenient_bot(
    plugins: Mapping[str, object],
    *,
    data_dir: Path,
    config: Mapping[str, Any] | None = None,
    entry_points: bool = False,
    clock: FakeClock | None = None,
    start: bool = True,
) -> AsyncIterator[BotHarness]:
    """A started bot as ``botkit run`` builds it (a broken plugin is dropped, not raised),
    on a recording adapter; the watchdog reads ``clock``."""
    raw = {k: dict(v) for k, v in (config or {}).items()}
    raw.setdefault("bot", {}).setdefault("data_dir", str(data_dir))
    raw["bot"].setdefault("typing_delay", 0.0)
    raw["bot"].setdefault("hook_timeout", HOOK_TIMEOUT)
    bot = Bot.build(
        Config.from_dict(raw),
        extra_plugins=plugins.items(),
        entry_points=entry_points,
        strict=False,
    )
    bot.plugins.watchdog.clock = clock or FakeClock()
    adapter = RecordingAdapter()
    harness = BotHarness(bot, adapter)
    if not start:
        yield harness
        return
    await bot.start(adapter)
    try:
        yield harness
    finally:
        await bot.stop()


@pytest.fixture
def fault_bot(tmp_path: Path) -> Callable[..., Any]:
    """Factory: ``async with fault_bot({"name": plugin}, ...) as bot: ...``."""

    def factory(plugins: Mapping[str, object] = {}, **kwargs: Any) -> Any:
        kwargs.setdefault("data_dir", tmp_path / "data")
        return lenient_bot(plugins, **kwargs)

    return factory
