"""Through the console adapter, a spoken reply is saved as an audio file."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import wave
from pathlib import Path

import botkit_voice
from voice_helpers import EchoChat, spoken

from botkit.adapters.console import ConsoleAdapter, ConsoleSettings
from botkit.bot import Bot
from botkit.config import Config
from botkit.util import ffmpeg_executable


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


def test_join_and_say_in_the_console_print_a_real_audio_file(tmp_path: Path):
    """``printf '!join\\n!say hello\\n' | botkit run``, as a new user would type it."""
    (tmp_path / "botkit.toml").write_text('[bot]\ndata_dir = "data"\n')
    result = subprocess.run(
        [str(Path(sys.executable).with_name("botkit")), "run"],
        input="!join\n!say hello\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    [saved] = re.findall(r"\[spoken reply saved to (.+)\]", result.stdout)
    probe = subprocess.run(
        [ffmpeg_executable(), "-hide_banner", "-i", saved, "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    seconds = re.search(r"time=(\d+):(\d+):(\d+\.\d+)", probe.stderr.rsplit("size=", 1)[-1])
    assert probe.returncode == 0
    assert float(seconds.group(3)) > 0.3
