"""Rules and metrics benchmark: what server rules, a cooldown and metrics cost per command.

The same ``!hi`` commands from 50 members go through the bot's whole message flow (parsing,
permission, rules, cooldown, the command, the reply to a recording adapter) in one process:

- baseline: no rules, metrics off;
- 200 rules: the server has 200 rules (the most it may have), none about ``hi``, and one that
  allows ``hi`` to a role none of them has;
- cooldown: ``hi`` has a server cooldown of one use per member per second that never refuses
  (the clock moves a second per message);
- metrics: ``[metrics] listen`` set, counters and histograms updated per message.

Rates are commands per CPU second of the process; each row prints its ratio to the baseline
measured in the same run.

    python bench/rules.py [--messages 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from botkit.models import User
from botkit.permissions.rules import Rule, loaded
from botkit.testing import CHANNEL, GUILD, start_harness

MEMBERS = [User(id=str(100 + i), name=f"member{i}") for i in range(50)]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def rate(setup: str, messages: int, data_dir: Path) -> float:
    """Commands per CPU second for one configuration."""
    clock = Clock()
    config: dict[str, Any] = {"logging": {"level": "WARNING"}}
    if setup == "metrics":
        config["metrics"] = {"listen": "127.0.0.1:0"}
    async with start_harness(config=config, data_dir=data_dir, clock=clock) as bot:
        perms = await loaded(bot.handle("permissions"))  # the permissions plugin's state
        if setup == "200 rules":
            for i in range(199):
                rule = Rule("deny", "command", f"other{i}", "user", str(i))
                await perms.rules.add(GUILD, rule)
            await perms.rules.add(GUILD, Rule("allow", "command", "hi", "role", "7"))
        if setup == "cooldown":
            from botkit import Cooldown

            await perms.cooldowns.set(GUILD, "hi", Cooldown(1, 1.0, "user"))
        for member in MEMBERS:  # warm up
            await bot.send("!hi", user=member, channel=CHANNEL)
        started = time.process_time()
        for i in range(messages):
            clock.now += 1.0
            replies = await bot.send("!hi", user=MEMBERS[i % len(MEMBERS)], channel=CHANNEL)
            assert replies.text == "HI!", replies.text
        return messages / (time.process_time() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    setups = ["baseline", "200 rules", "cooldown", "metrics"]
    results: dict[str, list[float]] = {s: [] for s in setups}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for setup in setups:  # interleaved, so drift hits every row alike
                data_dir = Path(tmp) / f"{setup}-{round_}".replace(" ", "-")
                results[setup].append(await rate(setup, args.messages, data_dir))
    base = statistics.median(results["baseline"])
    print(f"commands per CPU second, median of {args.rounds} rounds of {args.messages}:")
    for setup in setups:
        median = statistics.median(results[setup])
        print(f"  {setup:<10} {median:>9,.0f}/s  ratio to baseline {median / base:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
