"""Through the console adapter, a spoken reply is saved as an audio file."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import botkit_voice
from voice_helpers import EchoChat, spoken

from botkit.adapters.console import ConsoleAdapter, ConsoleSettings
from botkit.bot import Bot
from botkit.config import Config


async def test_console_saves_a_spoken_reply(tmp_path: Path):
    config = Config.from_dict(
        {"bot": {"data_dir": str(tmp_path / "data")}, "voice": {"tts_engine": "espeak"}}
    )
    bot = Bot.build(
        config,
        extra_plugins=[("voice", botkit_voice), ("chat", EchoChat())],
        entry_points=False,
        strict=True,
    )
    out = io.StringIO()
    adapter = ConsoleAdapter(
        config.data_dir, ConsoleSettings(in_voice=True), stdin=io.StringIO("hello\n"), stdout=out
    )
    await adapter.connect(bot)
    await bot.start(adapter)
    try:
        await adapter.run()
        await spoken(bot)
    finally:
        await bot.stop()
    saved = config.data_dir / "console" / "spoken-0001.wav"
    assert out.getvalue() == f"you said: hello\n[spoken reply saved to {saved}]\n"
    with wave.open(str(saved), "rb") as clip:
        assert clip.getnframes() / clip.getframerate() > 0.3
    assert not any((config.data_dir / "voice" / "tmp").iterdir())
