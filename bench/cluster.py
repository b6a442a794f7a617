"""Leased shards: how fast a killed process's shards are served again, and identifies per 5 s.

Three real ``botkit run`` processes of one bot (``--processes``; real CLI, real configuration
files) share ``--shards`` shards through a throwaway PostgreSQL (the test kit's), against the
fake Discord served on a local port (REST through ``[discord] api_base``, the gateway as a
websocket). Once every shard is served and every identify slot is free again, the process
holding shard 0 is killed with SIGKILL (its sockets drop, its leases are left to expire), and
the bench measures the seconds until every shard is served again. Processes identify with
Discord's real window (5 s per bucket); the most identifies in any 5 s window per bucket,
over the whole round, is reported.

Limits: served again within 2 x lease_seconds; at most 1 identify per bucket per 5 s window
(timed on arrival at the fake: a window of 5 s less 0.25 s for the way over the sockets); no
shard ever served by two processes at once.

Run: ``python bench/cluster.py`` (``--shards``, ``--processes``, ``--max-concurrency``,
``--lease``, ``--rounds``).
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

from botkit_testkit.discord import FakeDiscord
from botkit_testkit.discord.processes import BotProcesses
from botkit_testkit.discord.server import serve_fake
from botkit_testkit.postgres import postgres_server, postgres_url

WINDOW = 5.0  # Discord's identify window, seconds
SLACK = 0.25  # seconds: identifies are timed on arrival at the fake, slots in the database
START_LIMIT = 120.0  # seconds for the processes to start and serve every shard


async def served(fake: FakeDiscord, shards: int, limit: float) -> float:
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(limit):
        while fake.serving() != dict.fromkeys(range(shards), 1):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    return loop.time() - began


def busiest_window(times: list[float]) -> int:
    """The most identifies in any window of Discord's length (less the slack)."""
    return max((sum(1 for u in times if t <= u < t + WINDOW - SLACK) for t in times), default=0)


async def one_round(url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    fake = FakeDiscord(shards=args.shards, max_concurrency=args.max_concurrency)
    for shard in range(args.shards):
        fake.add_guild(shard=shard, shard_count=args.shards)
    loop = asyncio.get_running_loop()
    discord = {
        "shard_count": args.shards,
        "shard_ids": "leased",
        "max_shards_per_process": -(-args.shards // (args.processes - 1)),
        "lease_seconds": args.lease,
    }
    async with serve_fake(fake) as server:
        processes = BotProcesses(server, url, workdir, discord)
        try:
            for n in range(args.processes):
                await processes.start(n)
            await served(fake, args.shards, START_LIMIT)
            last = max(i.at for i in fake.identified)
            await asyncio.sleep(max(0.0, last + WINDOW - loop.time()))  # identify slots free
            victim = (await processes.holders())[0]
            processes.running[victim].kill()
            killed = loop.time()
            async with asyncio.timeout(10):
                while 0 in fake.serving():  # noqa: ASYNC110 - the killed sockets close
                    await asyncio.sleep(0.01)
            await served(fake, args.shards, 10 * args.lease + 10 * WINDOW)
            recovery = loop.time() - killed
        finally:
            await processes.stop()
    per_bucket = [
        busiest_window([i.at for i in fake.identified if i.shard_id % args.max_concurrency == b])
        for b in range(args.max_concurrency)
    ]
    return {"recovery": recovery, "identifies": max(per_bucket), "double": len(fake.double_served)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--processes", type=int, default=3)
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
            with tempfile.TemporaryDirectory() as workdir:
                results.append(await one_round(url, args, Path(workdir)))
            with contextlib.suppress(StopIteration):
                next(database)
    finally:
        with contextlib.suppress(StopIteration):
            next(server)
    recovery = [r["recovery"] for r in results]
    print(
        f"{args.shards} shards, {args.processes} botkit run processes, lease_seconds "
        f"{args.lease:g}, max_concurrency {args.max_concurrency}, {args.rounds} rounds"
    )
    print(
        f"served again after a SIGKILL: median {statistics.median(recovery):.2f} s "
        f"(range {min(recovery):.2f}-{max(recovery):.2f}); limit {2 * args.lease:g} s"
    )
    print(
        f"identifies per {WINDOW:g} s per bucket: at most {max(r['identifies'] for r in results)}"
        " (limit 1)"
    )
    print(f"shards served twice at once: {sum(r['double'] for r in results)} (limit 0)")


if __name__ == "__main__":
    asyncio.run(main())
