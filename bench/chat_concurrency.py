"""A burst of chat mentions answered through an OpenAI-compatible API, botkit against baselines.

One run: a fake OpenAI server in its own process answers every chat request after 250 ms; a
burst of 1,000 mentions spread over 200 channels and 200 users is injected at once as
MESSAGE_CREATE gateway payloads through the Discord test harness (discord.py parses and
dispatches them as in production; its HTTP calls go to a fake Discord). Measured: the wall
time from the first payload until every reply has been posted, for

- botkit: the Discord adapter and the openai_chat plugin with its default settings (one
  shared client on the SDK's aiohttp transport, at most 250 requests at once, a connection
  pool of that size), conversations stored in SQLite; and the same with ``http_client =
  "httpx"``, the SDK's default transport;
- the reference: a minimal discord.py bot awaiting one shared ``AsyncOpenAI`` client;
- the original bot's design: a blocking synchronous OpenAI call inside the async handler
  (50 messages, measured, then extrapolated to the burst size: it answers one at a time).

Each bot answers one message before the burst, as a bot that has been running would have its
caches and connections warm. The machine is shared, so each burst runs ``--rounds`` times
(default 3) and the median is reported, with the range.

Run: ``python bench/chat_concurrency.py`` (``--messages``, ``--delay``, ``--rounds``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import openai
from botkit_openai_chat import ChatPlugin

from botkit_testkit.discord import FakeChannel, FakeDiscord, FakeUser, start_discord_harness
from botkit_testkit.openai_server import start_in_subprocess

API_KEY = "sk-bench"
MODEL = "gpt-4o-mini"
CHANNELS = 200
USERS = 200
BLOCKING_SAMPLE = 50
TARGET_SECONDS = 3.0
POLL = 0.005
TIMEOUT = 600.0


def populate(fake: FakeDiscord) -> tuple[list[int], list[FakeUser]]:
    """Add the burst's text channels and users to the fake server (before the bot connects)."""
    text = discord.ChannelType.text.value
    channels = []
    for n in range(CHANNELS):
        channel = FakeChannel(fake.new_id(), f"chan-{n}", text, fake.guild_id)
        fake.channels[channel.id] = channel
        channels.append(channel.id)
    return channels, [fake.add_user(f"user-{n}") for n in range(USERS)]


def burst(
    fake: FakeDiscord, channels: list[int], users: list[FakeUser], count: int
) -> list[tuple[str, dict[str, Any]]]:
    """``count`` mentions; message n goes to channel n mod 200 from a user that changes each
    round, so no user asks twice in one channel."""
    events = []
    for n in range(count):
        channel = channels[n % len(channels)]
        user = users[(n + n // len(channels)) % len(users)]
        events.append(
            fake.message_event(
                f"question {n}: what is {n} plus one?", author=user, channel=channel, mention=True
            )
        )
    return events


class Replies:
    """Counts the replies the bot posts to the fake Discord, reading each request once."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake, self.seen, self.count = fake, len(fake.requests), 0

    def update(self) -> int:
        new = self.fake.requests[self.seen :]
        self.seen += len(new)
        self.count += sum(1 for r in new if r.method == "POST" and r.path.endswith("/messages"))
        return self.count


async def timed_burst(
    fake: FakeDiscord, events: list[tuple[str, dict[str, Any]]]
) -> tuple[float, float]:
    """Dispatch every event at once; (wall seconds, CPU seconds) until all are answered."""
    replies = Replies(fake)
    wall, cpu = time.perf_counter(), time.process_time()
    for event, data in events:
        fake.dispatch(event, data, fake.guild_id)
    while replies.update() < len(events):
        if time.perf_counter() - wall > TIMEOUT:
            raise TimeoutError(f"only {replies.count} of {len(events)} replies were posted")
        await asyncio.sleep(POLL)
    return time.perf_counter() - wall, time.process_time() - cpu


async def warm_up(fake: FakeDiscord, channel: int, user: FakeUser) -> None:
    """One message first: a running bot's caches and connections are warm."""
    await timed_burst(
        fake, [fake.message_event("hello", author=user, channel=channel, mention=True)]
    )


async def run_botkit(
    base_url: str, count: int, data_dir: Path, **settings: Any
) -> tuple[float, float]:
    fake = FakeDiscord()
    channels, users = populate(fake)
    config = {"openai_chat": {"base_url": base_url, **settings}}
    plugins = {"openai_chat": ChatPlugin()}
    async with start_discord_harness(plugins, config=config, data_dir=data_dir, fake=fake) as dh:
        await warm_up(fake, channels[0], users[0])
        result = await timed_burst(fake, burst(fake, channels, users, count))
        await dh.settle()
    return result


async def run_discord_py(
    count: int, on_mention: Callable[[discord.Message, str], Awaitable[str]]
) -> tuple[float, float]:
    """A minimal discord.py bot that answers mentions with ``on_mention``."""
    fake = FakeDiscord()
    channels, users = populate(fake)
    intents = discord.Intents.default()
    intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0)

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot or client.user not in message.mentions:
            return
        await message.reply(await on_mention(message, message.clean_content))

    with fake:
        await client.login(fake.token)
        runner = asyncio.create_task(client.connect(reconnect=False))
        await client.wait_until_ready()
        try:
            await warm_up(fake, channels[0], users[0])
            return await timed_burst(fake, burst(fake, channels, users, count))
        finally:
            await client.close()
            await asyncio.wait_for(runner, 10)


def chat_messages(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


async def run_reference(base_url: str, count: int) -> tuple[float, float]:
    """The reference: one shared AsyncOpenAI client, awaited in the handler."""
    ai = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY)

    async def ask(message: discord.Message, text: str) -> str:
        completion = await ai.chat.completions.create(model=MODEL, messages=chat_messages(text))
        return completion.choices[0].message.content or ""

    try:
        return await run_discord_py(count, ask)
    finally:
        await ai.close()


async def run_blocking(base_url: str, count: int) -> tuple[float, float]:
    """The original bot: a synchronous OpenAI call inside the async handler."""
    ai = openai.OpenAI(base_url=base_url, api_key=API_KEY)

    async def ask(message: discord.Message, text: str) -> str:
        completion = ai.chat.completions.create(model=MODEL, messages=chat_messages(text))
        return completion.choices[0].message.content or ""

    try:
        return await run_discord_py(count, ask)
    finally:
        ai.close()


def median(runs: list[tuple[float, float]]) -> tuple[float, float, str]:
    """Median wall and CPU seconds, and the wall range when there are several runs."""
    walls = sorted(w for w, _ in runs)
    spread = f" (range {walls[0]:.2f}-{walls[-1]:.2f})" if len(runs) > 1 else ""
    return statistics.median(walls), statistics.median(c for _, c in runs), spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.25, help="server seconds per answer")
    parser.add_argument("--rounds", type=int, default=3, help="bursts per bot; median shown")
    args = parser.parse_args()
    os.environ["OPENAI_API_KEY"] = API_KEY
    count = args.messages
    print(
        f"burst: {count} mentions, {CHANNELS} channels, {USERS} users; server answers after "
        f"{args.delay * 1000:.0f} ms; {os.cpu_count()} CPUs; {args.rounds} rounds"
    )
    runs: dict[str, list[tuple[float, float]]] = {"aiohttp": [], "httpx": [], "reference": []}
    with start_in_subprocess(delay=args.delay, api_key=API_KEY) as (_, url):
        for n in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                runs["aiohttp"].append(asyncio.run(run_botkit(url, count, Path(tmp, "a"))))
                runs["httpx"].append(
                    asyncio.run(run_botkit(url, count, Path(tmp, "h"), http_client="httpx"))
                )
            runs["reference"].append(asyncio.run(run_reference(url, count)))
            print(f"round {n + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in runs.items()))
        sample = min(BLOCKING_SAMPLE, count)
        blocking, _ = asyncio.run(run_blocking(url, sample))
    botkit, botkit_cpu, botkit_spread = median(runs["aiohttp"])
    httpx, httpx_cpu, httpx_spread = median(runs["httpx"])
    reference, reference_cpu, reference_spread = median(runs["reference"])
    original = blocking * count / sample
    rows = [
        ("botkit, defaults (aiohttp transport)", botkit, f"CPU {botkit_cpu:.2f} s{botkit_spread}"),
        ('botkit, http_client = "httpx"', httpx, f"CPU {httpx_cpu:.2f} s{httpx_spread}"),
        (
            "reference: discord.py + one AsyncOpenAI",
            reference,
            f"CPU {reference_cpu:.2f} s{reference_spread}",
        ),
        (
            "original: blocking call, extrapolated",
            original,
            f"measured {blocking:.2f} s for {sample} messages",
        ),
    ]
    for name, wall, note in rows:
        print(f"{name:42} {wall:7.2f} s {count / wall:7.1f} replies/s  {note}")
    print(f"botkit / reference: {botkit / reference:.2f} (httpx: {httpx / reference:.2f})")
    print(f"original / botkit: {original / botkit:.0f}x")
    met = botkit < TARGET_SECONDS and botkit <= reference
    print(
        f"target (< {TARGET_SECONDS:g} s and no slower than the reference): "
        + ("met" if met else "MISSED")
    )


if __name__ == "__main__":
    main()
