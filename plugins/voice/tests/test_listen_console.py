"""``!listen @file:talk.wav`` on the console: real speech (espeak-ng), heard by Whisper tiny,
answered turn by turn and spoken back."""

from __future__ import annotations

import io
import subprocess
import sys
import wave
from pathlib import Path

import botkit_voice
import pytest
from botkit_voice import espeak_worker
from voice_helpers import EchoChat, spoken, words

from botkit.adapters.console import ConsoleAdapter, ConsoleSettings
from botkit.bot import Bot
from botkit.config import Config
from botkit.util import ffmpeg_executable

SENTENCES = ["one two three four five", "six seven eight nine ten"]
NUMBERS = {word: str(n) for n, word in enumerate(" ".join(SENTENCES).split(), 1)}


def numbers(text: str) -> list[str]:
    """The numbers heard, whether Whisper wrote them as words or digits."""
    return [NUMBERS.get(word, word) for word in words(text)]


def say(text: str, directory: Path) -> bytes:
    """``text`` spoken by espeak-ng, as 16 kHz mono PCM."""
    path = directory / f"{len(list(directory.iterdir()))}.wav"
    worker = Path(espeak_worker.__file__)
    subprocess.run(
        [sys.executable, str(worker), "en-us", str(path)], input=text.encode(), check=True
    )
    ffmpeg = ffmpeg_executable()
    assert ffmpeg is not None
    command = [ffmpeg, "-loglevel", "error", "-i", str(path), "-ac", "1", "-ar", "16000"]
    return subprocess.run(
        [*command, "-f", "s16le", "pipe:1"], check=True, capture_output=True
    ).stdout


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sentences with a second and a half of silence around and between them."""
    directory = tmp_path_factory.mktemp("talk")
    pause = b"\0\0" * 24_000
    pcm = pause + say(SENTENCES[0], directory) + pause + say(SENTENCES[1], directory) + pause
    path = directory / "talk.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(pcm)
    return path


async def run_console(tmp_path: Path, line: str, voice: dict) -> tuple[str, Config]:
    config = Config.from_dict(
        {
            "bot": {"data_dir": str(tmp_path / "data")},
            "voice": {"tts_engine": "espeak", "stt_engine": "whisper", **voice},
        }
    )
    bot = Bot.build(
        config,
        extra_plugins=[("voice", botkit_voice), ("chat", EchoChat())],
        entry_points=False,
        strict=True,
    )
    out = io.StringIO()
    adapter = ConsoleAdapter(
        config.data_dir, ConsoleSettings(in_voice=True), stdin=io.StringIO(line), stdout=out
    )
    await adapter.connect(bot)
    await bot.start(adapter)
    try:
        await adapter.run()
        await spoken(bot)
    finally:
        await bot.stop()
    return out.getvalue(), config


async def test_each_turn_of_a_recording_is_heard_answered_and_spoken(tmp_path, talk):
    output, config = await run_console(tmp_path, f"!listen @file:{talk}\n", {})
    lines = output.splitlines()
    heard = [line.removeprefix("🎙️ you: ") for line in lines if line.startswith("🎙️ you: ")]
    assert [numbers(text) for text in heard] == [numbers(s) for s in SENTENCES]
    answers = [line for line in lines if line.startswith("you said: ")]
    assert answers == [f"you said: {text}" for text in heard]
    assert "🎙️ End of talk.wav: 2 of 2 turns understood." in lines
    saved = sorted((config.data_dir / "console").glob("spoken-*.wav"))
    assert [path.name for path in saved] == ["spoken-0001.wav", "spoken-0002.wav"]
    assert not (config.data_dir / "voice" / "recordings").exists()


async def test_recordings_are_kept_only_when_the_owner_says_so(tmp_path, talk):
    _, config = await run_console(
        tmp_path, f"!listen @file:{talk}\n", {"keep_recordings": True, "post_transcripts": False}
    )
    kept = sorted((config.data_dir / "voice" / "recordings").rglob("*.wav"))
    assert [path.name for path in kept] == ["console-user-00001.wav", "console-user-00002.wav"]


async def test_a_file_that_is_not_audio_is_refused(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    output, _ = await run_console(tmp_path, f"!listen @file:{notes}\n", {})
    assert output == "notes.txt is not audio; attach a recording (WAV, OGG, MP3...).\n"


async def test_live_listening_is_not_offered_on_the_console(tmp_path):
    output, _ = await run_console(tmp_path, "!listen\n", {})
    assert output == (
        "I cannot hear voice channels on this platform; attach a recording instead: "
        "`!listen` with an audio file.\n"
    )
