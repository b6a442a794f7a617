"""The ``botkit`` command: run, plugins, doctor, init, sync."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

import attrs

from botkit import __version__
from botkit.adapters.console import ConsoleAdapter, ConsoleSettings
from botkit.bot import Bot, StartupError
from botkit.config import (
    DEFAULT_CONFIG,
    BotSettings,
    Config,
    ConfigError,
    PluginsSettings,
    StorageSettings,
    render_section,
)
from botkit.doctor import diagnose
from botkit.logs import setup_logging

log = logging.getLogger("botkit.cli")
LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "command", None):
        parser().print_help()
        return 2
    setup_logging(args.log_level or default_log_level(args))
    try:
        config = Config.load(args.config)
        return args.handler(args, config)
    except (ConfigError, StartupError) as exc:
        print(f"botkit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="botkit", description="A plugin-based chat bot.")
    p.add_argument("--version", action="version", version=f"botkit {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", help=f"configuration file (default: $BOTKIT_CONFIG or ./{DEFAULT_CONFIG})"
    )
    common.add_argument(
        "--log-level", type=str.upper, choices=LOG_LEVELS, help="DEBUG, INFO, WARNING or ERROR"
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run the bot")
    run.add_argument(
        "--adapter",
        choices=["console", "discord"],
        help="default: discord when DISCORD_TOKEN is set, else console",
    )
    run.set_defaults(handler=cmd_run)

    plugins = sub.add_parser("plugins", help="list or show installed plugins")
    psub = plugins.add_subparsers(dest="action", required=True)
    listing = psub.add_parser("list", parents=[common], help="every plugin and its state")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=cmd_plugins_list)
    show = psub.add_parser("show", parents=[common], help="one plugin in detail")
    show.add_argument("name")
    show.set_defaults(handler=cmd_plugins_show)

    doctor = sub.add_parser(
        "doctor", parents=[common], help="check the set-up; non-zero exit on problems"
    )
    doctor.set_defaults(handler=cmd_doctor)

    init = sub.add_parser("init", parents=[common], help="write a commented configuration file")
    init.add_argument("path", nargs="?", default=DEFAULT_CONFIG)
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(handler=cmd_init)

    sync = sub.add_parser("sync", parents=[common], help="register slash commands with Discord")
    sync.set_defaults(handler=cmd_sync)
    return p


def default_log_level(args: argparse.Namespace) -> str:
    """INFO for a Discord bot; WARNING where stdout is the conversation (console, listings)."""
    chosen = getattr(args, "adapter", None) or (
        "discord" if os.environ.get("DISCORD_TOKEN") else "console"
    )
    return "INFO" if args.command in ("run", "sync") and chosen == "discord" else "WARNING"


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    bot = Bot.build(config)
    adapter_name = args.adapter or ("discord" if os.environ.get("DISCORD_TOKEN") else "console")
    if adapter_name == "discord":
        from botkit.adapters.discord import run_discord

        return asyncio.run(run_discord(bot, discord_token()))
    settings = config.section("console", ConsoleSettings)
    adapter = ConsoleAdapter(config.data_dir, settings)
    return asyncio.run(run_console(bot, adapter))


async def run_console(bot: Bot, adapter: ConsoleAdapter) -> int:
    await bot.start(adapter)
    try:
        await adapter.run(bot)
    finally:
        await bot.stop()
    return 0


def discord_token() -> str:
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        raise StartupError("DISCORD_TOKEN is not set; export it or run with --adapter console")
    return token


def cmd_sync(args: argparse.Namespace, config: Config) -> int:
    from botkit.adapters.discord import sync_commands

    return asyncio.run(sync_commands(Bot.build(config), discord_token()))


def cmd_plugins_list(args: argparse.Namespace, config: Config) -> int:
    bot = Bot.build(config)
    statuses = list(bot.plugins.statuses.values())
    if args.json:
        print(json.dumps([s.to_dict() for s in statuses], indent=2))
        return 0
    for s in statuses:
        line = f"{s.name:<14} {s.version or '-':<9} {s.state:<8} {', '.join(s.commands)}"
        print(line.rstrip() + (f"\n{'':<14} error: {s.error}" if s.error else ""))
    return 0


def cmd_plugins_show(args: argparse.Namespace, config: Config) -> int:
    bot = Bot.build(config)
    status = bot.plugins.statuses.get(args.name)
    if status is None:
        print(f"botkit: no plugin {args.name!r}; see 'botkit plugins list'", file=sys.stderr)
        return 1
    print(f"{status.name} {status.version} ({status.distribution or 'not a distribution'})")
    print(f"state: {status.state}" + (f": {status.error}" if status.error else ""))
    print(f"hooks: {', '.join(status.hooks) or '-'}")
    for name in status.commands:
        cmd = bot.commands.by_name[name]
        print(f"  {cmd.usage(config.bot.prefix)}  {cmd.help}")
    settings = bot.settings.get(status.name)
    if settings is not None:
        print(f"settings [{status.name}]:")
        for key, value in attrs.asdict(settings).items():
            print(f"  {key} = {value!r}")
    return 0


def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(diagnose(Bot.build(config), sys.stdout))


def cmd_init(args: argparse.Namespace, config: Config) -> int:
    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"botkit: {path} exists; use --force to overwrite it", file=sys.stderr)
        return 1
    bot = Bot.build(config)
    sections = [
        "# botkit configuration. Secrets (DISCORD_TOKEN, OPENAI_API_KEY, ...) come from the\n"
        "# environment, never from this file.",
        render_section("bot", BotSettings),
        render_section("storage", StorageSettings),
        render_section("plugins", PluginsSettings),
        render_section("console", ConsoleSettings),
    ]
    sections += _adapter_sections()
    sections += [render_section(name, type(s)) for name, s in bot.settings.items()]
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _adapter_sections() -> list[str]:
    from botkit.adapters.discord import DiscordSettings

    return [render_section("discord", DiscordSettings)]


if __name__ == "__main__":
    sys.exit(main())
