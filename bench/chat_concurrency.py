"""A burst of chat mentions answered through an OpenAI-compatible API, botkit against baselines.

One run: a fake OpenAI server in its own process answers every chat request after 250 ms; a
burst of 1,000 mentions spread over 200 channels and 200 users is injected at once as
MESSAGE_CREATE gateway payloads through the Discord test harness (discord.py parses and
dispatches them as in production; its HTTP calls go to a fake Discord in this process).
Every burst runs twice: in fresh conversations, and with 20 earlier turns in every
conversation (the chat plugin's default history), which each request then carries.
Measured for each: the wall time from the first payload until every reply has been posted,
and the process's CPU time per message (the fake Discord's share included, the same for all):

- botkit: the Discord adapter and the openai_chat plugin with its default settings,
  conversations stored in SQLite (the 20-turn histories are stored there before the burst);
  and, in fresh conversations, the same with ``http_client = "httpx"``;
- the reference: a minimal discord.py bot awaiting one shared ``AsyncOpenAI`` client,
  histories in a dict;
- the floor: the same discord.py bot posting the request body with a plain ``aiohttp``
  session and reading the JSON itself;
- requests only, no bot: the chat plugin's client (the SDK's low-level post) against a plain
  aiohttp session, the same number of requests at once: what the SDK itself costs;
- the original bot's design: a blocking synchronous OpenAI call inside the async handler
  (50 messages, measured, then extrapolated to the burst size: it answers one at a time).

As in production, the garbage collector is on and logging is at the default level (INFO,
written to /dev/null). Each bot answers one message before the burst, as a bot that has
been running would have its caches and connections warm. The machine is shared, so each
burst runs ``--rounds`` times (default 3) and the median is reported, with the range.

Targets: botkit's CPU per message at most 1.3x the floor's with the same history; 20 turns
of history cost at most 10% more CPU per message than none; wall time under 1.5 s.

Run: ``python bench/chat_concurrency.py`` (``--messages``, ``--delay``, ``--rounds``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import openai
from botkit_openai_chat import ChatPlugin
from botkit_openai_chat import client as chat_client
from botkit_openai_chat.client import make_client
from botkit_openai_chat.settings import ChatSettings
from botkit_openai_chat.store import turns as turns_table
from sqlalchemy import insert

from botkit_testkit.discord import FakeChannel, FakeDiscord, FakeUser, start_discord_harness
from botkit_testkit.openai_server import start_in_subprocess

API_KEY = "sk-bench"
MODEL = "gpt-4o-mini"
CHANNELS = 200
USERS = 200
HISTORIES = (0, 20)
BLOCKING_SAMPLE = 50
CPU_TARGET = 1.3  # botkit's CPU per message, at most this times the floor's
HISTORY_TARGET = 0.10  # 20 turns of history cost at most this much more CPU per message
WALL_TARGET = 1.5
POOL = 250
POLL = 0.005
TIMEOUT = 600.0
TURN = (
    "Earlier in this conversation someone asked about the weather, the train times and "
    "what to cook tonight; the answer was long enough to look like a real reply."
)

Mention = Callable[[discord.Message, str], Awaitable[str]]
Result = tuple[float, float]  # wall seconds, CPU seconds


def populate(fake: FakeDiscord) -> tuple[list[int], list[FakeUser]]:
    """Add the burst's text channels and users to the fake server (before the bot connects)."""
    text = discord.ChannelType.text.value
    channels = []
    for n in range(CHANNELS):
        channel = FakeChannel(fake.new_id(), f"chan-{n}", text, fake.guild_id)
        fake.channels[channel.id] = channel
        channels.append(channel.id)
    return channels, [fake.add_user(f"user-{n}") for n in range(USERS)]


def pairs(channels: list[int], users: list[FakeUser], count: int) -> list[tuple[int, FakeUser]]:
    """(channel, author) of message n: channel n mod 200, a user that changes each round, so
    no user asks twice in one channel and every message has its own conversation."""
    return [
        (channels[n % len(channels)], users[(n + n // len(channels)) % len(users)])
        for n in range(count)
    ]


def burst(
    fake: FakeDiscord, channels: list[int], users: list[FakeUser], count: int
) -> list[tuple[str, dict[str, Any]]]:
    """``count`` mentions, message n from ``pairs(...)[n]``."""
    return [
        fake.message_event(
            f"question {n}: what is {n} plus one?", author=user, channel=channel, mention=True
        )
        for n, (channel, user) in enumerate(pairs(channels, users, count))
    ]


def history(length: int) -> list[dict[str, str]]:
    """``length`` earlier turns, alternating question and answer."""
    roles = ("user", "assistant")
    return [{"role": roles[n % 2], "content": f"{n}: {TURN}"} for n in range(length)]


class Replies:
    """Counts the replies the bot posts to the fake Discord, reading each request once."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake, self.seen, self.count = fake, len(fake.requests), 0

    def update(self) -> int:
        new = self.fake.requests[self.seen :]
        self.seen += len(new)
        self.count += sum(1 for r in new if r.method == "POST" and r.path.endswith("/messages"))
        return self.count


async def timed_burst(fake: FakeDiscord, events: list[tuple[str, dict[str, Any]]]) -> Result:
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
    base_url: str, count: int, turns: int, data_dir: Path, **settings: Any
) -> Result:
    fake = FakeDiscord()
    channels, users = populate(fake)
    config = {"openai_chat": {"base_url": base_url, **settings}}
    plugins = {"openai_chat": ChatPlugin()}
    async with start_discord_harness(plugins, config=config, data_dir=data_dir, fake=fake) as dh:
        await warm_up(fake, channels[0], users[0])
        if turns:
            await store_histories(dh.bot.storage.engine, pairs(channels, users, count), turns)
        result = await timed_burst(fake, burst(fake, channels, users, count))
        await dh.settle()
    return result


async def store_histories(engine: Any, who: list[tuple[int, FakeUser]], turns: int) -> None:
    """Give every conversation of the burst ``turns`` earlier turns in the plugin's table."""
    rows = [
        {
            "conversation": f"channel:{channel}:{user.id}",
            "user_id": str(user.id),
            "created_at": 0.0,
            **turn,
        }
        for channel, user in who
        for turn in history(turns)
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(turns_table), rows)


async def run_discord_py(
    count: int, turns: int, ask: Callable[[list[dict]], Awaitable[str]]
) -> Result:
    """A minimal discord.py bot that answers mentions with ``ask(messages)``, keeping the
    newest ``turns`` turns of each conversation (channel and author) in a dict."""
    fake = FakeDiscord()
    channels, users = populate(fake)
    memory = {(channel, user.id): history(turns) for channel, user in pairs(channels, users, count)}
    intents = discord.Intents.default()
    intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0)

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot or client.user not in message.mentions:
            return
        earlier = memory.setdefault((message.channel.id, message.author.id), [])
        question = {"role": "user", "content": message.clean_content}
        answer = await ask([*earlier, question])
        earlier += [question, {"role": "assistant", "content": answer}]
        del earlier[: max(0, len(earlier) - turns)]
        await message.reply(answer)

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


async def run_reference(base_url: str, count: int, turns: int) -> Result:
    """The reference: one shared AsyncOpenAI client, awaited in the handler."""
    ai = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY)

    async def ask(messages: list[dict]) -> str:
        completion = await ai.chat.completions.create(model=MODEL, messages=messages)
        return completion.choices[0].message.content or ""

    try:
        return await run_discord_py(count, turns, ask)
    finally:
        await ai.close()


async def run_floor(base_url: str, count: int, turns: int) -> Result:
    """The floor: the request posted with a plain aiohttp session, the JSON read by hand."""
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=POOL)  # the chat plugin's default bound
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:

        async def ask(messages: list[dict]) -> str:
            body = json.dumps({"model": MODEL, "messages": messages}).encode()
            async with session.post(url, data=body) as response:
                data = json.loads(await response.read())
            return data["choices"][0]["message"]["content"] or ""

        return await run_discord_py(count, turns, ask)


async def run_blocking(base_url: str, count: int) -> Result:
    """The original bot: a synchronous OpenAI call inside the async handler."""
    ai = openai.OpenAI(base_url=base_url, api_key=API_KEY)

    async def ask(messages: list[dict]) -> str:
        completion = ai.chat.completions.create(model=MODEL, messages=messages)
        return completion.choices[0].message.content or ""

    try:
        return await run_discord_py(count, 0, ask)
    finally:
        ai.close()


async def requests_only(base_url: str, count: int, sdk: bool) -> Result:
    """``count`` chat requests at once without any bot: botkit's client (the SDK's low-level
    post on its aiohttp transport, pool as the plugin sizes it) or a plain aiohttp session.
    What the SDK costs per request over the floor, whatever the bot around it does."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hello"}]}
    if sdk:
        client = make_client(ChatSettings(base_url=base_url), API_KEY)

        async def ask() -> object:
            return await chat_client.complete(client, body)

        close: Callable[[], Awaitable[None]] = client.close
    else:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=POOL),
            headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        )

        async def ask() -> object:
            url = base_url.rstrip("/") + "/chat/completions"
            async with session.post(url, data=json.dumps(body).encode()) as response:
                return json.loads(await response.read())

        close = session.close
    try:
        await ask()  # connections warm
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(ask() for _ in range(count)))
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await close()


def median(runs: list[Result]) -> tuple[float, float, str]:
    """Median wall and CPU seconds, and the wall range when there are several runs."""
    walls = sorted(w for w, _ in runs)
    spread = f" ({walls[0]:.2f}-{walls[-1]:.2f})" if len(runs) > 1 else ""
    return statistics.median(walls), statistics.median(c for _, c in runs), spread


def bursts(url: str, count: int, tmp: Path) -> dict[str, Callable[[], Result]]:
    """Every burst of one round, by name."""
    found: dict[str, Callable[[], Result]] = {}
    for turns in HISTORIES:
        found[f"botkit|{turns}"] = lambda t=turns: asyncio.run(
            run_botkit(url, count, t, tmp / f"botkit-{t}")
        )
        found[f"reference|{turns}"] = lambda t=turns: asyncio.run(run_reference(url, count, t))
        found[f"aiohttp|{turns}"] = lambda t=turns: asyncio.run(run_floor(url, count, t))
    found["httpx|0"] = lambda: asyncio.run(
        run_botkit(url, count, 0, tmp / "httpx", http_client="httpx")
    )
    found["sdk-post|-"] = lambda: asyncio.run(requests_only(url, count, sdk=True))
    found["plain-post|-"] = lambda: asyncio.run(requests_only(url, count, sdk=False))
    return found


NAMES = {
    "botkit": "botkit, defaults (aiohttp transport)",
    "httpx": 'botkit, http_client = "httpx"',
    "reference": "reference: discord.py + one AsyncOpenAI",
    "aiohttp": "floor: discord.py + plain aiohttp",
    "sdk-post": "requests only: botkit's client (SDK post)",
    "plain-post": "requests only: plain aiohttp",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.25, help="server seconds per answer")
    parser.add_argument("--rounds", type=int, default=3, help="bursts per bot; median shown")
    args = parser.parse_args()
    os.environ["OPENAI_API_KEY"] = API_KEY
    logging.basicConfig(
        level=logging.INFO,
        stream=open(os.devnull, "w"),  # noqa: SIM115 (open for the whole run)
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    count = args.messages
    print(
        f"burst: {count} mentions, {CHANNELS} channels, {USERS} users; server answers after "
        f"{args.delay * 1000:.0f} ms; history 0 and 20 turns; {os.cpu_count()} CPUs; "
        f"{args.rounds} rounds; gc on, logging at INFO"
    )
    runs: dict[str, list[Result]] = {}
    with start_in_subprocess(delay=args.delay, api_key=API_KEY) as (_, url):
        for n in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                for name, run in bursts(url, count, Path(tmp)).items():
                    runs.setdefault(name, []).append(run())
            print(f"round {n + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in runs.items()))
        sample = min(BLOCKING_SAMPLE, count)
        blocking, _ = asyncio.run(run_blocking(url, sample))
    cpu: dict[str, float] = {}
    wall: dict[str, float] = {}
    print(f"{'bot':42} {'history':>7} {'wall s (range)':>20} {'replies/s':>9} {'CPU ms/msg':>10}")
    for key, results in runs.items():
        name, turns = key.split("|")
        wall[key], total_cpu, spread = median(results)
        cpu[key] = total_cpu / count * 1000
        print(
            f"{NAMES[name]:42} {turns:>7} {f'{wall[key]:.2f}{spread}':>20} "
            f"{count / wall[key]:9.0f} {cpu[key]:10.2f}"
        )
    original = blocking * count / sample
    print(
        f"original: blocking call, extrapolated: {original:.1f} s ({blocking:.2f} s for {sample})"
    )
    met = True
    for turns in HISTORIES:
        ratio = cpu[f"botkit|{turns}"] / cpu[f"aiohttp|{turns}"]
        reference = cpu[f"reference|{turns}"] / cpu[f"aiohttp|{turns}"]
        met &= ratio <= CPU_TARGET
        print(
            f"history {turns:2}: CPU per message / floor: botkit {ratio:.2f}, reference "
            f"{reference:.2f}; wall botkit / reference "
            f"{wall[f'botkit|{turns}'] / wall[f'reference|{turns}']:.2f}"
        )
    sdk, plain = cpu["sdk-post|-"], cpu["plain-post|-"]
    print(
        f"requests only: the SDK's post costs {sdk - plain:.2f} ms of CPU per request more "
        f"than plain aiohttp ({sdk / plain:.1f}x)"
    )
    growth = cpu[f"botkit|{HISTORIES[-1]}"] / cpu[f"botkit|{HISTORIES[0]}"] - 1
    grown_reference = cpu[f"reference|{HISTORIES[-1]}"] / cpu[f"reference|{HISTORIES[0]}"] - 1
    met &= growth <= HISTORY_TARGET
    print(
        f"20 turns of history: botkit CPU per message {growth:+.0%}, reference "
        f"{grown_reference:+.0%}; original / botkit wall: {original / wall['botkit|0']:.0f}x"
    )
    print(
        f"target (CPU <= {CPU_TARGET:g}x floor, history <= {HISTORY_TARGET:.0%}): "
        + ("met" if met else "MISSED")
        + f"; wall {wall['botkit|0']:.2f} s (target < {WALL_TARGET:g} s on a quiet machine)"
    )


if __name__ == "__main__":
    main()
