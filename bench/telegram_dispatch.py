"""Dispatch benchmark: botkit's Telegram adapter against a bare aiogram bot, both answering /hi.

Both run aiogram's real HTTP client against the test kit's fake Bot API server, which runs
in a process of its own so its CPU time is not counted. Each round queues ``--updates``
``/hi`` messages (each from a different user, so no cooldown applies) for one contender and
waits until it has answered all of them: the bare bot polls getUpdates and answers every
``/hi`` with ``sendMessage`` as a reply; botkit's adapter hands every update to the host
(every installed plugin loaded, logging at INFO to a null stream, command rules and cooldowns
in place), which answers through the adapter. Rates are updates per CPU second of this
process, counted once start-up work in threads (a plugin importing its SDK) is over. The
contenders take turns (ABBA order), and the ratio reported is the median of the
rounds' ratios, since the machine's speed drifts over the run (other programs share it).

    python bench/telegram_dispatch.py [--updates 300] [--rounds 16]

Target: botkit at least 0.9 of the bare aiogram bot.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import logging
import multiprocessing
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stderr, suppress
from pathlib import Path
from typing import Any

import aiohttp
from _quiet import threads_quiet
from aiogram import Bot as AiogramBot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import ReplyParameters
from aiohttp import web
from botkit_telegram.adapter import TelegramAdapter
from botkit_telegram.settings import TelegramSettings

from botkit.bot import Bot
from botkit.config import Config
from botkit.logs import setup_logging
from botkit_testkit.telegram import TOKEN, FakeTelegram

TARGET = 0.9
BARE_TOKEN = "222222222:AABareAiogramBotTokenForTheBenchmark01"
POLL_TIMEOUT = 1


# --- the fake server's process ---


def serve_fake(ready: Any) -> None:
    """The fake Bot API server plus a small control server the benchmark drives it with."""
    asyncio.run(_serve_fake(ready))


async def _serve_fake(ready: Any) -> None:
    fake = await FakeTelegram().start()
    bare = fake.add_bot(BARE_TOKEN, 222222222, "bare_aiogram_bot")
    accounts = {TOKEN: fake.account, BARE_TOKEN: bare}
    users = [fake.user(f"user{i}", id=100_000 + i) for i in range(100_000)]
    chats = [fake.private(u) for u in users]
    served = {"next": 0}

    async def enqueue(request: web.Request) -> web.Response:
        account = accounts[request.match_info["token"]]
        count = int(request.match_info["count"])
        start = served["next"]
        served["next"] += count
        messages = [
            fake.message(chats[i % len(chats)], users[i % len(users)], "/hi")
            for i in range(start, start + count)
        ]
        await fake.push_many("message", messages, account)
        return web.Response(text="queued")

    async def answered(request: web.Request) -> web.Response:
        account = accounts[request.match_info["token"]]
        wanted = int(request.match_info["count"])

        def replies() -> int:
            return sum(1 for c in account.calls if c.method == "sendMessage" and c.ok)

        async with account.arrived:
            await account.arrived.wait_for(lambda: replies() >= wanted)
        return web.Response(text=str(replies()))

    control = web.Application()
    control.router.add_post("/enqueue/{token}/{count}", enqueue)
    control.router.add_get("/answered/{token}/{count}", answered)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    ready.put((fake.base_url, f"http://127.0.0.1:{port}"))
    await asyncio.Event().wait()


# --- the contenders ---


class Bare:
    """aiogram's Bot as its HTTP client, answering /hi; no dispatcher, like the adapter."""

    name = "bare aiogram"
    token = BARE_TOKEN

    def __init__(self, base_url: str) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
        self.bot = AiogramBot(BARE_TOKEN, session=session)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.poll())

    async def poll(self) -> None:
        offset = None
        while True:
            updates = await self.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT)
            answers = []
            for update in updates:
                offset = update.update_id + 1
                message = update.message
                if message is not None and message.text == "/hi":
                    answers.append(self.answer(message.chat.id, message.message_id))
            await asyncio.gather(*answers)

    async def answer(self, chat_id: int, message_id: int) -> None:
        reply = ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
        await self.bot.send_message(chat_id, "HI!", reply_parameters=reply)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with suppress(asyncio.CancelledError):
                await self.task
        await self.bot.session.close()


class Botkit:
    """botkit's Telegram adapter with every installed plugin."""

    name = "botkit"
    token = TOKEN

    def __init__(self, base_url: str, data_dir: Path) -> None:
        config = Config.from_dict({"bot": {"data_dir": str(data_dir)}})
        self.bot = Bot.build(config)
        settings = TelegramSettings(base_url=base_url, poll_timeout=POLL_TIMEOUT)
        self.adapter = TelegramAdapter(settings, TOKEN)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.adapter.connect(self.bot)
        await self.bot.start(self.adapter)
        gc.freeze()  # as botkit.runner.serve does once the bot has started
        self.task = asyncio.create_task(self.adapter.run())

    async def stop(self) -> None:
        await self.adapter.close()
        if self.task is not None:
            with suppress(asyncio.CancelledError):
                await self.task
        await self.bot.stop()


async def measure(
    control: aiohttp.ClientSession, url: str, token: str, count: int, total: list[int]
) -> float:
    """CPU seconds this process spends while ``count`` updates are queued and answered."""
    total[0] += count
    before = time.process_time()
    async with control.post(f"{url}/enqueue/{token}/{count}") as resp:
        await resp.read()
    async with control.get(f"{url}/answered/{token}/{total[0]}") as resp:
        await resp.read()
    return time.process_time() - before


async def bench(updates: int, rounds: int, base_url: str, control_url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        contenders: list[Any] = [Bare(base_url), Botkit(base_url, Path(tmp) / "data")]
        for contender in contenders:
            await contender.start()
        await threads_quiet()
        rates: dict[str, list[float]] = {c.name: [] for c in contenders}
        answered = {c.name: [0] for c in contenders}
        try:
            timeout = aiohttp.ClientTimeout(total=600)
            async with aiohttp.ClientSession(timeout=timeout) as control:
                for contender in contenders:  # warm-up round, not counted
                    await measure(
                        control, control_url, contender.token, 100, answered[contender.name]
                    )
                for round_ in range(rounds):
                    order = contenders if round_ % 2 == 0 else contenders[::-1]
                    for contender in order:
                        cpu = await measure(
                            control, control_url, contender.token, updates, answered[contender.name]
                        )
                        rates[contender.name].append(updates / cpu)
        finally:
            for contender in contenders:
                await contender.stop()
    ratios = [
        ours / bare for bare, ours in zip(rates["bare aiogram"], rates["botkit"], strict=True)
    ]
    result = {name: statistics.median(values) for name, values in rates.items()}
    result["ratio"] = statistics.median(ratios)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=300, help="updates per round")
    parser.add_argument("--rounds", type=int, default=16)
    args = parser.parse_args(argv)
    with redirect_stderr(io.StringIO()):
        setup_logging("INFO")
    logging.getLogger().handlers[:] = [logging.StreamHandler(io.StringIO())]
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    server = context.Process(target=serve_fake, args=(ready,), daemon=True)
    server.start()
    try:
        base_url, control_url = ready.get(timeout=120)
        rates = asyncio.run(bench(args.updates, args.rounds, base_url, control_url))
    finally:
        server.terminate()
        server.join(10)
    bare, ours, ratio = rates["bare aiogram"], rates["botkit"], rates["ratio"]
    print(f"telegram dispatch: {args.updates} /hi updates per round, {args.rounds} rounds (median)")
    print(f"  bare aiogram bot     {bare:8.0f} updates per CPU second")
    print(f"  botkit telegram      {ours:8.0f} updates per CPU second")
    print(
        f"  ratio botkit / bare  {ratio:8.2f}  (median of the rounds' ratios; target >= {TARGET})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
