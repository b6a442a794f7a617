"""Leased shards: how fast a dead process's shards are served again, and identifies per 5 s.

Three processes of one bot (each a bot with its own Discord adapter and lease holder, in this
process) share ``--shards`` shards through a throwaway PostgreSQL (the test kit's) against the
fake Discord, with ``max_shards_per_process`` so that one process stands by. Once every shard
is served, the process serving shards dies (its sockets drop, its leases are left to expire),
and the bench measures the seconds until every shard is served again. Identifies are taken
with Discord's real window (5 s per bucket); the most in any 5 s window per bucket is
reported.

Limits: served again within 2 x lease_seconds (plus the identify window, when a bucket
identified within the last 5 s); at most 1 identify per bucket per 5 s window.

Run: ``python bench/cluster.py`` (``--shards``, ``--max-concurrency``, ``--lease``, ``--rounds``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import tempfile
from pathlib import Path
from typing import Any

from botkit.bot import Bot
from botkit.config import Config
from botkit_testkit.discord import DiscordHarness, FakeDiscord, run_harness
from botkit_testkit.postgres import postgres_server, postgres_url

WINDOW = 5.0  # Discord's identify window, seconds


async def served(fake: FakeDiscord, shards: int, limit: float) -> float:
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(limit):
        while fake.serving() != dict.fromkeys(range(shards), 1):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    return loop.time() - began


def die(harness: DiscordHarness) -> None:
    """The process dies: sockets drop, nothing is handed over, leases stay until they expire."""
    leases = harness.adapter.leases
    assert leases is not None and leases._task is not None
    leases._task.cancel()
    if leases._fence is not None:
        leases._fence.cancel()
    if leases._conn is not None:
        leases._conn.terminate()
    for shard in harness.adapter.client.shards.values():
        shard._parent.ws.socket.closed = True
    leases.held.clear()


def busiest_window(times: list[float]) -> int:
    """The most identifies in any WINDOW-second span."""
    return max((sum(1 for u in times if t <= u < t + WINDOW) for t in times), default=0)


async def one_round(url: str, args: argparse.Namespace, data: Path) -> dict[str, Any]:
    fake = FakeDiscord(shards=args.shards, max_concurrency=args.max_concurrency)
    for shard in range(args.shards):
        fake.add_guild(shard=shard, shard_count=args.shards)
    per_process = -(-args.shards // 2)
    async with contextlib.AsyncExitStack() as stack:
        processes = []
        for n in range(3):
            raw = {
                "bot": {"data_dir": str(data / f"p{n}"), "typing_delay": 0},
                "storage": {"url": url},
                "discord": {
                    "guild_ready_timeout": 0.0,
                    "shard_count": args.shards,
                    "shard_ids": "leased",
                    "max_shards_per_process": per_process,
                    "lease_seconds": args.lease,
                },
            }
            bot = Bot.build(Config.from_dict(raw), entry_points=False)
            processes.append(await stack.enter_async_context(run_harness(bot, fake)))
        await served(fake, args.shards, 10 * args.lease + 10 * WINDOW)
        victim = next(p for p in processes if p.adapter.leases and p.adapter.leases.held)
        die(victim)
        recovery = await served(fake, args.shards, 10 * args.lease + 10 * WINDOW)
    per_bucket = [
        busiest_window([i.at for i in fake.identified if i.shard_id % args.max_concurrency == b])
        for b in range(args.max_concurrency)
    ]
    return {
        "recovery": recovery,
        "identifies": max(per_bucket),
        "double": len(fake.double_served),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--max-concurrency", type=int, default=4)
    parser.add_argument("--lease", type=float, default=3.0, help="lease_seconds")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    server = postgres_server.__wrapped__()  # type: ignore[attr-defined]
    base = next(server)
    try:
        results = []
        for _ in range(args.rounds):
            database = postgres_url.__wrapped__(base)  # type: ignore[attr-defined]
            url = next(database)
            with tempfile.TemporaryDirectory() as data:
                results.append(await one_round(url, args, Path(data)))
            with contextlib.suppress(StopIteration):
                next(database)
    finally:
        with contextlib.suppress(StopIteration):
            next(server)
    recovery = [r["recovery"] for r in results]
    limit = 2 * args.lease
    print(
        f"{args.shards} shards, 3 processes, lease_seconds {args.lease:g}, "
        f"max_concurrency {args.max_concurrency}, {args.rounds} rounds"
    )
    print(
        f"served again after a kill: median {statistics.median(recovery):.2f} s "
        f"(range {min(recovery):.2f}-{max(recovery):.2f}); limit {limit:g} s "
        f"(+{WINDOW:g} s when a bucket identified just before)"
    )
    print(
        f"identifies per {WINDOW:g} s per bucket: at most {max(r['identifies'] for r in results)}"
        " (limit 1)"
    )
    print(f"shards served twice at once: {sum(r['double'] for r in results)} (limit 0)")


if __name__ == "__main__":
    asyncio.run(main())
