"""Dispatch benchmark: botkit's Discord adapter against a bare discord.py bot.

The same gateway payloads go, in one process, into a bare ``discord.ext.commands.Bot`` with a
``!hi`` command and into botkit's Discord adapter with every installed plugin. Both run their
real discord.py client against botkit_testkit.discord.FakeDiscord (HTTP and gateway faked the
same way). Three kinds of messages: ``!hi`` commands (answered with a reply), plain messages
that the trigger policy ignores, and unknown ``!words`` while 1,000 commands are installed (in
both bots). When no plugin watches every message (``message_received``), the adapter drops
ignored messages before building botkit objects; another row shows the cost when one does.
Rates are messages per CPU second of the process, so other programs on the machine do not skew
them; the CPU time the fake spends playing Discord (answering HTTP, encoding events) is taken
out, and rounds start once no thread but the main one uses CPU (start-up work in threads, such
as a plugin importing its SDK, is not per-message cost). As in production: the garbage
collector stays on, botkit logs at its default level (INFO, to a null stream), and botkit runs
with its contract, command rules and cooldowns in place.

    python bench/dispatch.py [--commands 1000] [--ignored 4000] [--unknown 1000] [--rounds 7]

Targets: botkit at least 0.9 of bare discord.py on commands, 0.95 on ignored messages, 0.5 on
unknown words with 1,000 commands installed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, redirect_stderr
from pathlib import Path
from typing import Any

import discord
from _quiet import threads_quiet
from botkit_discord import DiscordSettings, make_intents
from discord.ext import commands

import botkit
from botkit.bot import Bot
from botkit.config import Config
from botkit.logs import setup_logging
from botkit_testkit.discord import FakeDiscord, run_harness, settle

TARGETS = {"commands": 0.9, "ignored": 0.95, "unknown": 0.5}
MANY = 1000  # commands installed for the unknown-words rows
WATCHED = "botkit+watcher"
WARM_UP = 100


class Contender:
    """A running bot fed through its own fake Discord."""

    def __init__(self, name: str, fake: FakeDiscord, tasks: Callable[[], set[Any]]) -> None:
        self.name = name
        self.fake = fake
        self.tasks = tasks

    def events(self, kind: str, count: int) -> list[tuple[str, dict[str, Any]]]:
        fake = self.fake
        if kind == "commands":
            return [fake.message_event("!hi", author=fake.member) for _ in range(count)]
        if kind == "unknown":
            words = ("!wow", "!nice", "!lol", "!gg", "!brb", "!omg")
            return [
                fake.message_event(words[i % len(words)], author=fake.member) for i in range(count)
            ]
        text = "just chatting about the weather, nothing for the bot"
        return [fake.message_event(text, author=fake.member) for _ in range(count)]

    async def run(self, events: list[tuple[str, dict[str, Any]]]) -> float:
        """Feed the events back to back; return the bot's CPU seconds until all are handled."""
        fake, guild = self.fake, self.fake.guild_id
        gc.collect()  # each round starts from the same heap; collections then run as they come
        fake_before = fake.server_seconds
        started = time.process_time()
        for event, data in events:
            fake.dispatch(event, data, guild)
        await settle(fake, self.tasks(), max_wait=120)
        return time.process_time() - started - (fake.server_seconds - fake_before)


@asynccontextmanager
async def bare_bot(name: str = "discord.py", many: int = 0) -> AsyncIterator[Contender]:
    """A minimal discord.py bot: ``!hi`` answered with a reply (and ``many`` more commands)."""
    intents = make_intents(DiscordSettings())
    bot = commands.Bot(
        command_prefix="!",
        intents=intents,
        allowed_mentions=discord.AllowedMentions.none(),
        guild_ready_timeout=0.0,
        help_command=None,
    )

    @bot.command()
    async def hi(ctx: commands.Context) -> None:
        await ctx.reply("HI!", mention_author=False)

    async def other(ctx: commands.Context) -> None:
        await ctx.reply("ok", mention_author=False)

    for i in range(many):
        bot.add_command(commands.Command(other, name=f"command{i:04d}"))

    with FakeDiscord() as fake:
        await bot.login(fake.token)
        runner = asyncio.create_task(bot.connect())
        try:
            await bot.wait_until_ready()
            yield Contender(name, fake, set)
        finally:
            await bot.close()
            await runner


class Many:
    """A plugin with ``MANY`` commands, for the unknown-words rows."""

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def other(ctx: botkit.Context) -> str:
            return "ok"

        return [botkit.command(other, name=f"command{i:04d}") for i in range(MANY)]


class Watcher:
    """A plugin that observes every message, so the adapter cannot skip ignored ones early."""

    @botkit.hookimpl
    def botkit_message_received(self, ctx: botkit.Context) -> None:
        return None


@asynccontextmanager
async def botkit_bot(
    data_dir: Path, name: str = "botkit", extra: list[tuple[str, object]] | None = None
) -> AsyncIterator[tuple[Contender, list[str]]]:
    """botkit on the Discord adapter with every installed plugin (and ``extra`` ones)."""
    raw = {"bot": {"data_dir": str(data_dir)}, "discord": {"guild_ready_timeout": 0.0}}
    bot = Bot.build(Config.from_dict(raw), extra_plugins=extra or [], strict=False)
    async with run_harness(bot) as dh:
        loaded = [name for name, s in bot.plugins.statuses.items() if s.state == "ok"]
        yield Contender(name, dh.fake, lambda: dh.adapter.tasks), loaded


async def measure(
    contenders: list[Contender], kind: str, count: int, rounds: int, wrap: Callable[..., Any]
) -> dict[str, list[float]]:
    """Messages per second of each contender, alternating rounds to share the noise."""
    rates: dict[str, list[float]] = {c.name: [] for c in contenders}
    for c in contenders:
        await c.run(c.events(kind, WARM_UP))
    for _ in range(rounds):
        for c in contenders:
            events = c.events(kind, count)
            seconds = await wrap(c, c.run(events))
            rates[c.name].append(count / seconds)
    return rates


async def plain(contender: Contender, work: Coroutine[Any, Any, float]) -> float:
    return await work


def profiled(profiler: cProfile.Profile) -> Callable[..., Any]:
    async def wrap(contender: Contender, work: Coroutine[Any, Any, float]) -> float:
        if contender.name != "botkit":
            return await work
        profiler.enable()
        try:
            return await work
        finally:
            profiler.disable()

    return wrap


def report(results: dict[str, dict[str, list[float]]], counts: dict[str, int], rounds: int) -> bool:
    """Print the table; a ratio is the median of the per-round ratios (rounds alternate)."""
    print(f"\ndispatch, {rounds} rounds: messages per CPU second, median (best)")
    print(f"{'':<40}{'discord.py':>16}{'botkit':>16}{'ratio':>7}{'target':>9}")
    ok = True
    rows = [
        ("commands", "discord.py", "botkit", f"!hi ({counts['commands']}/round)"),
        ("ignored", "discord.py", "botkit", f"ignored ({counts['ignored']}/round)"),
        ("ignored", "discord.py", WATCHED, "ignored, a plugin watching all"),
        ("unknown", "discord.py+many", "botkit+many", f"unknown !words, {MANY} commands"),
    ]
    for kind, base, name, label in rows:
        bare, ours = results[kind][base], results[kind][name]
        ratio = statistics.median(o / b for o, b in zip(ours, bare, strict=True))
        target = TARGETS.get(kind) if name != WATCHED else None
        verdict = "" if target is None else ("ok" if ratio >= target else "MISSED")
        ok &= target is None or ratio >= target
        print(
            f"{label:<40}{statistics.median(bare):>8.0f} ({max(bare):>5.0f})"
            f"{statistics.median(ours):>8.0f} ({max(ours):>5.0f})"
            f"{ratio:>7.2f}{'>= ' + str(target) if target else '(info)':>9} {verdict}"
        )
    return ok


def main(counts: dict[str, int], rounds: int, profile: bool) -> int:
    with open(os.devnull, "w") as null, redirect_stderr(null):
        setup_logging("INFO")  # botkit's own set-up and level on a chat platform
        logging.getLogger("discord").setLevel(logging.WARNING)
        return asyncio.run(compare(counts, rounds, profile))


async def compare(counts: dict[str, int], rounds: int, profile: bool) -> int:
    profiler = cProfile.Profile()
    wrap = profiled(profiler) if profile else plain
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            bare_bot() as bare,
            bare_bot("discord.py+many", MANY) as bare_many,
            botkit_bot(Path(tmp) / "a") as (ours, loaded),
            botkit_bot(Path(tmp) / "b", WATCHED, [("watcher", Watcher())]) as (watched, _),
            botkit_bot(Path(tmp) / "c", "botkit+many", [("many", Many())]) as (many, _),
        ):
            print(f"botkit plugins loaded: {', '.join(loaded)}")
            await threads_quiet()
            results = {
                "commands": await measure(
                    [bare, ours], "commands", counts["commands"], rounds, wrap
                ),
                "ignored": await measure(
                    [bare, ours, watched], "ignored", counts["ignored"], rounds, wrap
                ),
                "unknown": await measure(
                    [bare_many, many], "unknown", counts["unknown"], rounds, wrap
                ),
            }
    ok = report(results, counts, rounds)
    if profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print("\nbotkit rounds, by own time:\n" + out.getvalue())
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=1000, help="commands per round")
    parser.add_argument("--ignored", type=int, default=4000, help="ignored messages per round")
    parser.add_argument("--unknown", type=int, default=1000, help="unknown words per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per contender and kind")
    parser.add_argument("--profile", action="store_true", help="cProfile botkit's rounds")
    args = parser.parse_args()
    counts = {"commands": args.commands, "ignored": args.ignored, "unknown": args.unknown}
    sys.exit(main(counts, args.rounds, args.profile))
