"""Per-guild settings in the bot's database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botkit.migrations import upgrade
from botkit.storage import Storage, default_url


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    store = Storage(default_url(tmp_path))
    await upgrade(store, [])
    yield store
    await store.close()


async def test_setting_round_trips_a_json_value(storage) -> None:
    await storage.set_setting("voice", "500", "engine", {"name": "espeak", "speed": 1.5})
    assert await storage.get_setting("voice", "500", "engine", None) == {
        "name": "espeak",
        "speed": 1.5,
    }


async def test_unset_setting_gives_the_default(storage) -> None:
    assert await storage.get_setting("voice", "500", "engine", "gtts") == "gtts"


async def test_setting_is_replaced_not_duplicated(storage) -> None:
    await storage.set_setting("voice", "500", "engine", "gtts")
    await storage.set_setting("voice", "500", "engine", "espeak")
    assert await storage.get_setting("voice", "500", "engine", None) == "espeak"


async def test_guilds_are_isolated(storage) -> None:
    await storage.set_setting("voice", "500", "engine", "espeak")
    assert await storage.get_setting("voice", "501", "engine", "gtts") == "gtts"


async def test_plugins_are_isolated(storage) -> None:
    await storage.set_setting("voice", "500", "engine", "espeak")
    assert await storage.get_setting("chat", "500", "engine", "none") == "none"


async def test_direct_messages_have_their_own_settings(storage) -> None:
    await storage.set_setting("chat", None, "model", "small")
    await storage.set_setting("chat", "500", "model", "large")
    assert await storage.get_setting("chat", None, "model", None) == "small"


async def test_fifty_concurrent_writes_all_succeed(storage) -> None:
    await asyncio.gather(
        *(storage.set_setting("chat", str(i % 5), f"key{i}", i) for i in range(50))
    )
    values = [await storage.get_setting("chat", str(i % 5), f"key{i}", None) for i in range(50)]
    assert values == list(range(50))


async def test_concurrent_writes_to_one_key_leave_one_of_the_values(storage) -> None:
    await asyncio.gather(*(storage.set_setting("chat", "500", "model", i) for i in range(50)))
    assert await storage.get_setting("chat", "500", "model", None) in range(50)


async def test_values_survive_closing_and_reopening(tmp_path) -> None:
    first = Storage(default_url(tmp_path))
    await upgrade(first, [])
    await first.set_setting("chat", "500", "model", "large")
    await first.close()
    second = Storage(default_url(tmp_path))
    await upgrade(second, [])
    try:
        assert await second.get_setting("chat", "500", "model", None) == "large"
    finally:
        await second.close()
