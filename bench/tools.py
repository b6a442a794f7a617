"""The bot's own CPU time for one tool step, against a plain answer, in the same run.

One run: the real chat plugin (``botkit_openai_chat.plugin``, default settings) in the host's
test harness, with a command ``roll`` marked ``tool=True`` (as in the plugin's tests), talking
to the test kit's fake OpenAI server in a process of its own (so its CPU is not counted). The
server answers at once and by the question: "say ..." gets a text answer straight away; "roll
..." first gets a call of ``roll`` with arguments, then, once the tool's result comes back, a
text answer. Every message comes from a new member, so each is a fresh conversation, and the
messages go one at a time, the two kinds alternating. Measured: this process's CPU time
(``time.process_time()``) for ``--messages`` plain answers and as many answers with one tool
step; ``--rounds`` times (default 3), the median round is reported. The bot answers one
message of each kind first. The CPU spent inside the chat plugin's requests to the model
(``botkit_openai_chat.client.complete``: the OpenAI SDK, its transport, encoding the body and
reading the answer) is measured too, so the step's cost is also shown without its second
request.

As in production, the garbage collector is on and logging is at the default level (INFO,
written to /dev/null).

Target: a tool step adds at most 1 ms of the bot's CPU per message besides the model's own
time (the second request to the model is part of the step). Exit status 1 on a miss.

Run: ``python bench/tools.py`` (``--messages``, ``--rounds``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from botkit_openai_chat import client, plugin

from botkit import Context, User, command, hookimpl
from botkit.testing import BotHarness, start_harness
from botkit_testkit.openai_server import FakeOpenAI, ToolCall, content_text

API_KEY = "sk-bench"
TARGET_MS = 1.0
ANSWER = "It is a fine evening for a walk along the river, and the trains run on time."


async def roll(ctx: Context, sides: int = 6) -> str:
    """Roll a die."""
    return "17"


class Dice:
    @hookimpl
    def botkit_commands(self) -> list[Any]:
        return [command(roll, tool=True, param_help={"sides": "faces of the die"})]


def model(body: dict[str, Any]) -> str | list[ToolCall]:
    """Asked to roll with tools offered: call ``roll``; given a tool's result or asked anything
    else: answer in text."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        return f"You rolled {last['content']}. {ANSWER}"
    if "tools" in body and content_text(last.get("content")).startswith("roll"):
        return [ToolCall("roll", {"sides": 20})]
    return ANSWER


def serve(pipe: Connection) -> None:
    """The child process: the fake server with ``model`` until the parent closes the pipe."""

    async def run() -> None:
        async with FakeOpenAI(api_key=API_KEY, chat_handler=model) as server:
            pipe.send(server.base_url)
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv_bytes)

    with contextlib.suppress(EOFError):
        asyncio.run(run())


class Requests:
    """The CPU seconds spent inside ``client.complete``, per kind of answer."""

    def __init__(self) -> None:
        self.cpu = {"plain": 0.0, "tool": 0.0}
        self.kind = "plain"
        self._complete = client.complete

    async def complete(self, api: Any, body: dict[str, Any]) -> Any:
        start = time.process_time()
        try:
            return await self._complete(api, body)
        finally:
            self.cpu[self.kind] += time.process_time() - start


async def ask(bot: BotHarness, text: str, n: int, expected: str) -> None:
    """One question from a new member; fails unless the answer contains ``expected``."""
    user = User(id=str(100_000 + n), name=f"member-{n}")
    replies = await bot.send(text, user=user, mention=True)
    if not replies or expected not in replies.text:
        raise RuntimeError(f"unexpected answer to {text!r}: {replies.text if replies else None!r}")
    bot.adapter.sent.clear()
    bot.adapter.messages.clear()
    bot.adapter.channel_of.clear()


async def timed(bot: BotHarness, first: int, count: int, requests: Requests) -> list[float]:
    """CPU seconds of this process for ``count`` plain answers and ``count`` answers with a
    tool step, the two kinds alternating so that any drift of the bot weighs on both alike;
    then the seconds of each kind spent in requests to the model."""
    plain = tool = 0.0
    requests.cpu = {"plain": 0.0, "tool": 0.0}
    for n in range(first, first + 2 * count, 2):
        requests.kind = "plain"
        cpu = time.process_time()
        await ask(bot, "say something", n, ANSWER)
        middle = time.process_time()
        requests.kind = "tool"
        await ask(bot, "roll a d20", n + 1, "You rolled 17")
        plain, tool = plain + middle - cpu, tool + time.process_time() - middle
    return [plain, tool, requests.cpu["plain"], requests.cpu["tool"]]


async def measure(url: str, count: int, rounds: int, data_dir: Path) -> list[list[float]]:
    """(plain, tool, plain's requests, tool's requests) CPU seconds of each round."""
    config = {"openai_chat": {"base_url": url}}
    requests = Requests()
    client.complete = requests.complete  # type: ignore[assignment]
    found = []
    async with start_harness(
        {"openai_chat": plugin, "dice": Dice()}, config=config, data_dir=data_dir
    ) as bot:
        await ask(bot, "say something", 0, ANSWER)
        await ask(bot, "roll a d20", 1, "🔧 roll(sides=20) → 17")
        first = 2
        for n in range(rounds):
            plain, tool, asked_plain, asked_tool = await timed(bot, first, count, requests)
            first += 2 * count
            found.append([plain, tool, asked_plain, asked_tool])
            print(
                f"round {n + 1}: plain {plain / count * 1000:.2f} ms, "
                f"tool step {tool / count * 1000:.2f} ms of CPU per message; in requests to "
                f"the model {asked_plain / count * 1000:.2f} and {asked_tool / count * 1000:.2f}",
                flush=True,
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages of each kind")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is shown")
    args = parser.parse_args()
    os.environ["OPENAI_API_KEY"] = API_KEY
    logging.basicConfig(
        level=logging.INFO,
        stream=open(os.devnull, "w"),  # noqa: SIM115 (open for the whole run)
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    count = args.messages
    print(
        f"{count} plain answers and {count} with one tool step, alternating, one at a time; "
        f"{args.rounds} rounds; fake OpenAI server in its own process, answering at once; "
        f"{os.cpu_count()} CPUs; gc on, logging at INFO"
    )
    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(child,))
    server.start()
    child.close()
    try:
        url = parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            found = asyncio.run(measure(url, count, args.rounds, Path(tmp)))
    finally:
        parent.close()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
            server.join()

    def median(figure: Any) -> float:
        return statistics.median(figure(*row) for row in found) / count * 1000

    plain = median(lambda p, t, ap, at: p)
    tool = median(lambda p, t, ap, at: t)
    extra = median(lambda p, t, ap, at: t - p)
    request = median(lambda p, t, ap, at: at - ap)
    besides = median(lambda p, t, ap, at: (t - at) - (p - ap))
    print(f"{'answer':44} {'CPU ms/msg':>10}")
    print(f"{'plain':44} {plain:10.2f}")
    print(f"{'with one tool step':44} {tool:10.2f}")
    print(f"{'difference per tool step':44} {extra:10.2f}  (medians of the rounds' differences)")
    print(f"{'  of it, the second request to the model':44} {request:10.2f}")
    print(f"{'  of it, the rest (the step besides requests)':44} {besides:10.2f}")
    met = extra <= TARGET_MS
    print(
        f"target (a tool step adds at most {TARGET_MS:g} ms of bot CPU besides the model's own "
        "time, the second request counted in the step): " + ("met" if met else "MISSED")
    )
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
