"""The bot's memory (RSS) after 10,000 and 50,000 distinct conversations and users.

One run: a bot with the chat and feedback plugins on the test kit's recording adapter, talking
to a fake OpenAI server in its own process (answering at once), conversations stored in
SQLite in a temporary data directory. Every message comes from a new user in one of 100
channels, so each starts a conversation of its own; messages go 200 at a time, as in a busy
server. Time is simulated: each message moves the bot's clocks on by 10 ms (100 messages a
second, for 50,000 messages about 8 minutes of traffic), so what is bounded by time (the rate
limiter's minute) behaves as in production.

Measured: the process's resident memory after a warm-up of 1,000 conversations (the
baseline), after 10,000 and after 50,000, each after a full garbage collection; and the
database's size. The recording adapter's own log of what was sent is cleared after every
batch: it belongs to the harness, not to the bot.

Targets: under 200 MB at 50,000, and flat: at most 10% more than at 10,000.

Run: ``python bench/memory.py`` (``--stages``, ``--batch``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from botkit_feedback import FeedbackPlugin
from botkit_openai_chat import ChatPlugin

from botkit import Channel, User
from botkit.testing import BotHarness, start_harness
from botkit_testkit.openai_server import start_in_subprocess

API_KEY = "sk-bench"
CHANNELS = 100
WARM_UP = 1_000
STEP = 0.01  # simulated seconds per message
TARGET_MB = 200.0
FLAT = 0.10
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    """Simulated time: a monotonic reading and the wall clock, moved on per message."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return START + timedelta(seconds=self.seconds)


def rss_mb() -> float:
    """Resident memory of this process, after a full collection."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def database_mb(data_dir: Path) -> float:
    return sum(p.stat().st_size for p in data_dir.rglob("*.db*")) / 2**20


async def converse(bot: BotHarness, clock: Clock, first: int, last: int, batch: int) -> None:
    """Conversations ``first`` to ``last - 1``: user n asks once in channel n mod 100."""
    channels = [Channel(id=str(600 + c), name=f"chan-{c}", guild_id="500") for c in range(CHANNELS)]
    for start in range(first, last, batch):
        sends = []
        for n in range(start, min(start + batch, last)):
            clock.seconds += STEP
            user = User(id=str(100_000 + n), name=f"user-{n}")
            sends.append(
                bot.send(f"question {n}", user=user, channel=channels[n % CHANNELS], mention=True)
            )
        await asyncio.gather(*sends)
        bot.adapter.sent.clear()
        bot.adapter.edits.clear()
        bot.adapter.messages.clear()
        bot.adapter.channel_of.clear()


async def measure(url: str, stages: list[int], batch: int, data_dir: Path) -> list[tuple]:
    clock = Clock()
    plugins = {"openai_chat": ChatPlugin(now=clock.now), "feedback": FeedbackPlugin()}
    config = {"openai_chat": {"base_url": url}}
    found = []
    async with start_harness(plugins, config=config, data_dir=data_dir, clock=clock) as bot:
        await converse(bot, clock, 0, WARM_UP, batch)
        found.append((WARM_UP, rss_mb(), database_mb(data_dir)))
        done = WARM_UP
        for stage in stages:
            await converse(bot, clock, done, stage, batch)
            done = stage
            found.append((stage, rss_mb(), database_mb(data_dir)))
            print(f"{stage:>7,} conversations: {found[-1][1]:6.1f} MB RSS", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--batch", type=int, default=200, help="messages in flight at once")
    args = parser.parse_args()
    if len(args.stages) < 2:
        parser.error("give at least two --stages: growth is measured from the first to the last")
    os.environ["OPENAI_API_KEY"] = API_KEY
    logging.basicConfig(level=logging.WARNING)
    print(
        f"distinct conversations and users, {args.batch} messages at once, "
        f"{CHANNELS} channels, warm-up {WARM_UP:,}; stages {args.stages}"
    )
    with (
        start_in_subprocess(delay=0.0, api_key=API_KEY) as (_, url),
        tempfile.TemporaryDirectory() as tmp,
    ):
        found = asyncio.run(measure(url, args.stages, args.batch, Path(tmp)))
    base = found[0][1]
    print(f"{'conversations':>13} {'RSS MB':>8} {'/ warm-up':>9} {'database MB':>11}")
    for count, rss, db in found:
        print(f"{count:>13,} {rss:8.1f} {rss / base:9.2f} {db:11.1f}")
    (first, first_rss, _), (last, last_rss, _) = found[1], found[-1]
    per = (last_rss - first_rss) * 1024 / (last - first) * 1000
    growth = last_rss / first_rss - 1
    print(f"{first:,} -> {last:,}: {growth:+.1%} RSS ({per:+.1f} KB per 1,000 conversations)")
    met = last_rss < TARGET_MB and growth <= FLAT
    print(
        f"target (< {TARGET_MB:g} MB, at most {FLAT:.0%} growth from {first:,} to {last:,}): "
        + ("met" if met else "MISSED")
    )


if __name__ == "__main__":
    main()
