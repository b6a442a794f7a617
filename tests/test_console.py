"""The console adapter: the real CLI in a pipe, and local files attached with ``@file:``."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import botkit
from botkit import Attachment, Context
from botkit.adapters.console import ConsoleAdapter
from botkit.bot import Bot
from botkit.config import Config
from botkit.runner import serve as run_console


@pytest.fixture(scope="module")
def piped_run(tmp_path_factory) -> subprocess.CompletedProcess[str]:
    """``printf '!hi\\n!help\\n' | botkit run`` with the built-in plugin only."""
    tmp = tmp_path_factory.mktemp("console")
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "BOTKIT_CONFIG")}
    env.update(BOTKIT_DATA_DIR=str(tmp / "data"), BOTKIT_PLUGINS="")
    return subprocess.run(
        [sys.executable, "-m", "botkit.cli", "run"],
        input="!hi\n!help\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=60,
    )


def test_piped_run_answers_hi(piped_run) -> None:
    assert piped_run.stdout.splitlines()[0] == "HI!"


def test_piped_run_lists_the_commands(piped_run) -> None:
    assert "**builtin**\n`!config` Show a plugin's settings" in piped_run.stdout
    assert "`!getfile` Send a file from the bot's files directory.\n" in piped_run.stdout


def test_piped_run_exits_0_at_end_of_input(piped_run) -> None:
    assert (piped_run.returncode, piped_run.stderr) == (0, "")


async def size(ctx: Context, file: Attachment) -> str:
    """Measure an attached file."""
    return f"{file.filename}: {len(await file.read())} bytes of {file.content_type}"


class Tools:
    def __init__(self, audio: Path) -> None:
        self.audio = audio

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def speak(ctx: Context) -> None:
            """Speak."""
            await ctx.plugin.capabilities.voice.play("", self.audio)

        async def export(ctx: Context) -> botkit.Reply:
            """Send a file."""
            return botkit.Reply(text="here", files=(botkit.File("export.jsonl", data=b"{}"),))

        return [botkit.command(size), botkit.command(speak), botkit.command(export)]

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return f"echo: {text}"


async def converse(tmp_path: Path, lines: str) -> str:
    """Run a console bot over ``lines`` and return everything it printed."""
    audio = tmp_path / "tts-output.wav"
    audio.write_bytes(b"RIFF fake wave")
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path / "data")}})
    bot = Bot.build(config, extra_plugins=[("tools", Tools(audio))], entry_points=False)
    out = io.StringIO()
    adapter = ConsoleAdapter(config.data_dir, stdin=io.StringIO(lines), stdout=out)
    assert await run_console(bot, adapter) == 0
    return out.getvalue()


async def test_plain_line_is_a_direct_message(tmp_path) -> None:
    assert await converse(tmp_path, "hello there\n") == "echo: hello there\n"


async def test_file_word_attaches_a_local_file(tmp_path) -> None:
    (tmp_path / "notes.txt").write_bytes(b"12345")
    out = await converse(tmp_path, f"!size @file:{tmp_path / 'notes.txt'}\n")
    assert out == "notes.txt: 5 bytes of text/plain\n"


async def test_quoted_file_word_attaches_a_path_with_spaces(tmp_path) -> None:
    (tmp_path / "my notes.txt").write_bytes(b"123")
    out = await converse(tmp_path, f'!size @file:"{tmp_path / "my notes.txt"}"\n')
    assert out == "my notes.txt: 3 bytes of text/plain\n"


async def test_missing_attached_file_is_reported_and_the_bot_goes_on(tmp_path) -> None:
    missing = tmp_path / "nowhere.txt"
    out = await converse(tmp_path, f"!size @file:{missing}\n!hi\n")
    assert out == f"[no such file to attach: {missing}]\nHI!\n"


async def test_voice_play_saves_the_audio_and_prints_its_path(tmp_path) -> None:
    out = await converse(tmp_path, "!speak\n")
    saved = tmp_path / "data" / "console" / "spoken-0001.wav"
    assert out == f"[spoken reply saved to {saved}]\n"
    assert saved.read_bytes() == b"RIFF fake wave"


async def test_spoken_files_go_on_numbering_after_the_last_run(tmp_path) -> None:
    await converse(tmp_path, "!speak\n")
    out = await converse(tmp_path, "!speak\n")
    folder = tmp_path / "data" / "console"
    assert out == f"[spoken reply saved to {folder / 'spoken-0002.wav'}]\n"
    assert sorted(p.name for p in folder.glob("spoken-*")) == ["spoken-0001.wav", "spoken-0002.wav"]


def test_sigterm_ends_the_console_while_it_waits_for_input(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "BOTKIT_CONFIG")}
    env.update(BOTKIT_DATA_DIR=str(tmp_path / "data"), BOTKIT_PLUGINS="")
    bot = subprocess.Popen(
        [sys.executable, "-m", "botkit.cli", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert bot.stdin is not None and bot.stdout is not None
    bot.stdin.write("!hi\n")
    bot.stdin.flush()
    assert bot.stdout.readline() == "HI!\n"  # started, and now waiting for the next line
    bot.send_signal(signal.SIGTERM)
    try:
        assert bot.wait(timeout=30) == 0
    finally:
        bot.kill()
        bot.stdin.close()


async def test_files_sent_to_the_console_user_are_forgotten_with_them(tmp_path) -> None:
    out = await converse(tmp_path, "!export\n")
    saved = out.splitlines()[1].removeprefix("[file export.jsonl: ").removesuffix("]")
    assert await asyncio.to_thread(Path(saved).read_bytes) == b"{}"
    out = await converse(tmp_path, "!forgetme\n!forgetme confirm\n")
    assert "(builtin: 1 files sent to you)" in out
    assert "- builtin: 1 record" in out
    assert not await asyncio.to_thread(Path(saved).exists)


async def wipe(ctx: Context, *, what: str) -> str:
    """Wipe something."""
    return f"wiped {what}"


class Wiper:
    """A command the assistant must ask about, and a stand-in model that calls it."""

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(wipe, confirm=True)]

    @botkit.hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        result = await ctx.run_tool("wipe", {"what": text})
        return result.line


async def approve(tmp_path: Path, lines: str) -> str:
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path / "data")}})
    bot = Bot.build(config, extra_plugins=[("wiper", Wiper())], entry_points=False)
    out = io.StringIO()
    adapter = ConsoleAdapter(config.data_dir, stdin=io.StringIO(lines), stdout=out)
    assert await run_console(bot, adapter) == 0
    return out.getvalue()


PROPOSAL = (
    '🔧 The assistant wants to run wipe(what="the board") for you. Run it?\n'
    "[yes: ✅ Run / no: ❌ Cancel]\n"
)


async def test_a_yes_line_approves_a_tool_call(tmp_path) -> None:
    out = await approve(tmp_path, "the board\nyes\n!hi\n")
    assert out == PROPOSAL + '🔧 wipe(what="the board") → wiped the board\nHI!\n'


async def test_a_no_line_declines_a_tool_call(tmp_path) -> None:
    out = await approve(tmp_path, "the board\nno\n")
    assert out == PROPOSAL + '🔧 wipe(what="the board") → Not run: you declined to run it.\n'


async def test_a_slash_line_is_a_command_as_on_telegram(tmp_path) -> None:
    (tmp_path / "notes.txt").write_bytes(b"12")
    out = await converse(tmp_path, f"/hi\n/size @file:{tmp_path / 'notes.txt'}\n/nothing here\n")
    assert out.splitlines()[:2] == ["HI!", "notes.txt: 2 bytes of text/plain"]
    assert out.splitlines()[2].startswith("Unknown command !nothing.")


async def test_a_path_is_not_a_command(tmp_path) -> None:
    assert await converse(tmp_path, "/tmp/x is full\n") == "echo: /tmp/x is full\n"
