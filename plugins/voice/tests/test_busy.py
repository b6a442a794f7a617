"""A busy speech queue says so, and is logged once per burst with the space it is in."""

from __future__ import annotations

import logging

import pytest
from botkit_voice import pool


@pytest.fixture
def busy_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every job offered to the speech workers is refused: too many are waiting."""

    async def refuse(self, *args, **kwargs):
        raise pool.Busy("64 speech jobs are waiting")

    monkeypatch.setattr(pool.Pool, "run", refuse)


async def test_busy_workers_answer_busy(voice_bot, busy_workers):
    async with voice_bot(voice=None, voice_notes=True) as bot:
        replies = await bot.send("!say hello")
    assert replies.text == "I am busy, try again in a moment."


async def test_a_busy_burst_is_logged_once_naming_the_space(voice_bot, busy_workers, caplog):
    caplog.set_level(logging.WARNING, logger="botkit.voice")
    async with voice_bot(voice=None, voice_notes=True) as bot:
        for _ in range(3):
            await bot.dm("!say hello")
    assert [r.getMessage() for r in caplog.records if r.name == "botkit.voice"] == [
        "the speech workers' queue of dm:1 is full; more speech there is refused until it has room"
    ]
