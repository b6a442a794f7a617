"""A started bot with the web console on a free port, and a browser-less client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import web_demo
from web_kit import Browser, Clock

from botkit.testing import BotHarness, start_harness


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web_bot(tmp_path, clock) -> Callable[..., Any]:
    """``async with web_bot() as bot``: the harness with the demo plugin and the console on."""

    def factory(**web: Any) -> Any:
        config = {"bot": {"owner_ids": ["1"]}, "web": {"listen": "127.0.0.1:0", **web}}
        return start_harness(
            {"demo": web_demo}, config=config, data_dir=tmp_path / "data", wall_clock=clock
        )

    return factory


@pytest.fixture
async def bot(web_bot) -> AsyncIterator[BotHarness]:
    async with web_bot() as started:
        yield started


@pytest.fixture
async def browser(bot: BotHarness) -> AsyncIterator[Browser]:
    client = Browser(bot.bot.web.base_url)
    yield client
    await client.close()
