"""The test kit's Telegram fixtures: ``telegram_api`` and ``telegram_harness``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from botkit_testkit.telegram.harness import start_telegram
from botkit_testkit.telegram.server import FakeTelegram


@pytest_asyncio.fixture
async def telegram_api() -> AsyncIterator[FakeTelegram]:
    """A started fake Bot API server (``base_url``, ``token``, the world, recorded calls)."""
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def telegram_harness(tmp_path: Path) -> Callable[..., Any]:
    """Factory: ``async with telegram_harness(plugins={...}, config={...}) as tg: ...``."""

    def factory(plugins: Mapping[str, object] = {}, **kwargs: Any) -> Any:
        kwargs.setdefault("data_dir", tmp_path / "data")
        return start_telegram(plugins, **kwargs)

    return factory
