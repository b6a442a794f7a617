"""docs/robustness.md: its examples run from the document's own text, its figures are the
host's."""

from __future__ import annotations

import hashlib
import logging
import re
import types
from pathlib import Path

from fault_plugins import FakeClock

import botkit
from botkit.config import BotSettings
from botkit.testing import MEMBER
from botkit.watchdog import THRESHOLD

DOC = Path(__file__).parents[2] / "docs" / "robustness.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def module_of(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, str(DOC), "exec"), module.__dict__)
    return module


async def test_the_thread_example_answers_with_the_checksum(fault_bot) -> None:
    (source,) = [b for b in python_blocks() if "to_thread" in b]
    plugin = module_of(source, "checksum_example")
    data = b"some bytes"
    async with fault_bot({"checksum": plugin}) as bot:
        replies = await bot.send("!checksum", attachments=[bot.attachment("a.txt", data)])
    assert replies.text == f"a.txt: {hashlib.sha256(data * 1000).hexdigest()[:16]}"


async def test_the_process_example_runs_a_program() -> None:
    (source,) = [b for b in python_blocks() if "create_subprocess_exec" in b]
    assert (await module_of(source, "process_example").python_version()).startswith("Python 3.")


def test_the_documented_threshold_is_the_watchdogs() -> None:
    assert f"longer than {THRESHOLD:g} s held" in DOC.read_text(encoding="utf-8")


def test_the_documented_reply_cap_is_the_default() -> None:
    cap = BotSettings().max_reply_messages
    assert f"`[bot] max_reply_messages` messages (default {cap})" in DOC.read_text(encoding="utf-8")


class Blocking:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    @botkit.hookimpl
    async def botkit_message_received(self, ctx: botkit.Context) -> None:
        self.clock.advance(4.0)


async def test_the_documented_log_line_is_the_one_logged(fault_bot, caplog) -> None:
    (line,) = re.findall(r"^    (plugin NAME: HOOK held .*)$", DOC.read_text(), re.M)
    clock = FakeClock()
    with caplog.at_level(logging.WARNING, "botkit.watchdog"):
        async with fault_bot({"NAME": Blocking(clock)}, clock=clock) as bot:
            await bot.send("hello", user=MEMBER)
    expected = line.replace("HOOK", "botkit_message_received")
    assert expected in caplog.messages
