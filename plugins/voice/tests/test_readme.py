"""The README's examples work as written: the engine plugin and the [voice] section."""

from __future__ import annotations

import re
import tomllib
import types
import wave
from pathlib import Path

from botkit_voice.settings import VoiceSettings
from voice_helpers import OWNER_IN_VOICE, SlowVoice, spoken

README = Path(__file__).parents[1] / "README.md"


def block(language: str, after: str) -> str:
    """The first ``language`` code block of the README after the heading ``after``."""
    text = README.read_text()
    start = text.index(after)
    return re.search(rf"```{language}\n(.*?)```", text[start:], re.DOTALL).group(1)


def readme_engine() -> types.ModuleType:
    module = types.ModuleType("readme_beep")
    exec(compile(block("python", "### Adding an engine"), str(README), "exec"), module.__dict__)
    return module


async def test_the_readme_engine_speaks_once_chosen(voice_bot):
    voice = SlowVoice(seconds=0)
    async with voice_bot(plugins={"beep": readme_engine()}, voice=voice) as bot:
        chosen = await bot.send("!voice engine beep")
        await bot.send("!say hello", user=OWNER_IN_VOICE)
        await spoken(bot.bot)
    assert chosen.text == "Voice engine set to beep."
    assert voice.played and voice.existed == [True]
    assert not any((bot.data_dir / "beep").iterdir())  # deleted once played


def test_the_readme_engine_writes_a_real_wav(tmp_path):
    path = tmp_path / "beep.wav"
    readme_engine().write_beep(path)
    with wave.open(str(path), "rb") as clip:
        assert clip.getnframes() == 4800


def test_the_readme_settings_example_is_valid():
    section = tomllib.loads(block("toml", "## Settings"))["voice"]
    assert VoiceSettings(**section).speak_when == "voice"
