"""The ``botkit`` command: run, plugins, doctor, init, sync, web-login, new-plugin, cluster.

Heavy modules (the bot, storage, adapters) are imported inside the handlers, so
``botkit --version`` and ``botkit --help`` start at once.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from botkit import __version__

if TYPE_CHECKING:
    from botkit.config import Config

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]
DEFAULT_CONFIG = "botkit.toml"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "command", None):
        parser().print_help()
        return 2
    from botkit.adapters.base import AdapterStartError
    from botkit.bot import StartupError
    from botkit.config import Config, ConfigError
    from botkit.logs import setup_logging

    try:
        config = None if args.command == "new-plugin" else Config.load(args.config)
        level = args.log_level or (config.logging.level if config else "") or default_level(args)
        setup_logging(level, config)
        return args.handler(args, config)
    except (ConfigError, StartupError, AdapterStartError) as exc:
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
        metavar="NAME",
        help="an installed adapter (botkit plugins list); default: discord when DISCORD_TOKEN "
        "is set, else telegram when TELEGRAM_TOKEN is set, else console",
    )
    run.set_defaults(handler=cmd_run)

    plugins = sub.add_parser("plugins", help="list or show installed plugins and adapters")
    psub = plugins.add_subparsers(dest="action", required=True)
    listing = psub.add_parser("list", parents=[common], help="every plugin and adapter")
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

    sync = sub.add_parser("sync", parents=[common], help="register the commands with the platform")
    sync.add_argument("--adapter", metavar="NAME", help="default: as for run")
    sync.set_defaults(handler=cmd_sync)

    login = sub.add_parser(
        "web-login", parents=[common], help="print a one-time web console link for the owner"
    )
    login.set_defaults(handler=cmd_web_login)

    new = sub.add_parser("new-plugin", help="write a new plugin distribution to start from")
    new.add_argument("name", help="the plugin's name: lower-case letters, digits, underscores")
    new.add_argument("--directory", default=".", help="where to create it (default: here)")
    new.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, help=argparse.SUPPRESS)
    new.set_defaults(handler=cmd_new_plugin, config=None)

    cluster = sub.add_parser(
        "cluster",
        parents=[common],
        help="the bot's processes on PostgreSQL: their shards, lease ages, shards without one",
    )
    cluster.set_defaults(handler=cmd_cluster)
    return p


def default_level(args: argparse.Namespace) -> str:
    """INFO on a chat platform; WARNING where stdout is the conversation (console, listings)."""
    if args.command not in ("run", "sync"):
        return "WARNING"
    from botkit.adapters.registry import default_name

    chosen = getattr(args, "adapter", None) or default_name()
    return "WARNING" if chosen == "console" else "INFO"


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    import asyncio
    import logging

    from botkit.adapters import registry
    from botkit.runner import HeldLogs, build, serve

    spec = registry.load(args.adapter or registry.default_name())
    adapter = spec.create(registry.setup(spec, config))
    if logging.getLogger().level <= logging.DEBUG:  # debugging: every line as it comes
        return asyncio.run(serve(build(config), adapter))
    with HeldLogs() as held:  # a failed start is one line; the rest follows a good one
        return asyncio.run(serve(build(config), adapter, held.release))


def cmd_cluster(args: argparse.Namespace, config: Config) -> int:
    """Print the processes sharing the shards (``[discord] shard_ids = "leased"``)."""
    import asyncio

    from botkit.cluster import cluster_status, format_status, is_postgres

    url = config.storage.url
    if not is_postgres(url):
        print(
            "botkit: processes share shards through PostgreSQL, and [storage] url is not a "
            "postgresql+asyncpg:// database; see docs/scaling.md",
            file=sys.stderr,
        )
        return 1
    lease = config.raw.get("discord", {}).get("lease_seconds", 30.0)
    try:
        status = asyncio.run(cluster_status(url, float(lease)))
    except (OSError, TimeoutError) as exc:
        print(f"botkit: cannot reach the database: {exc}", file=sys.stderr)
        return 1
    print(format_status(status))
    return 1 if status.unheld else 0


def cmd_sync(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from botkit.adapters import registry
    from botkit.adapters.base import AdapterStartError
    from botkit.runner import build

    spec = registry.load(args.adapter or registry.default_name())
    bot = build(config)
    try:
        summary = asyncio.run(spec.sync(registry.setup(spec, config), bot.commands.unique()))
    except AdapterStartError as exc:
        print(f"botkit: {exc}", file=sys.stderr)
        return 1
    print(summary)
    return 0


def cmd_web_login(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from botkit.web.console import owner_link

    link = asyncio.run(owner_link(config))
    print(f"Sign in to the web console within 10 minutes (the link works once):\n{link}")
    return 0


def cmd_plugins_list(args: argparse.Namespace, config: Config) -> int:
    from botkit.adapters import registry
    from botkit.runner import build

    bot = build(config)
    statuses = list(bot.plugins.statuses.values())
    installed = registry.entry_points()  # looked up once: each look-up reads every package
    adapters = registry.statuses(installed)
    if args.json:
        print(
            json.dumps(
                {
                    "plugins": [s.to_dict() for s in statuses],
                    "adapters": [a.to_dict() for a in adapters],
                },
                indent=2,
            )
        )
        return 0
    print("plugins:")
    for s in statuses:
        line = f"  {s.name:<14} {s.version or '-':<9} {s.state:<8} {', '.join(s.commands)}"
        print(line.rstrip() + (f"\n  {'':<14} error: {s.error}" if s.error else ""))
    print("adapters:")
    default = registry.default_name(installed=installed)
    for a in adapters:
        token = f"token from {a.token_env}" if a.token_env else "no token needed"
        mark = " (default now)" if a.name == default else ""
        line = f"  {a.name:<14} {a.version or '-':<9} {a.state:<9} {token}{mark}"
        print(line + (f"\n  {'':<14} error: {a.error}" if a.error else ""))
    return 0


def cmd_plugins_show(args: argparse.Namespace, config: Config) -> int:
    import attrs

    from botkit.runner import build

    bot = build(config)
    status = bot.plugins.statuses.get(args.name)
    if status is None:
        return show_adapter(args.name)
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


def show_adapter(name: str) -> int:
    """``botkit plugins show NAME`` for an adapter: distribution, version, token, state."""
    import os

    from botkit.adapters import registry

    found = [a for a in registry.statuses() if a.name == name]
    if not found:
        print(f"botkit: no plugin or adapter {name!r}; see 'botkit plugins list'", file=sys.stderr)
        return 1
    [adapter] = found
    print(f"{adapter.name} {adapter.version} ({adapter.distribution or 'not a distribution'})")
    print("kind: adapter (botkit run --adapter " + adapter.name + ")")
    print(f"state: {adapter.state}" + (f": {adapter.error}" if adapter.error else ""))
    if adapter.token_env:
        is_set = "set" if os.environ.get(adapter.token_env, "").strip() else "not set"
        print(f"token: from {adapter.token_env} ({is_set})")
    else:
        print("token: none needed")
    return 0


def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from botkit.doctor import diagnose
    from botkit.runner import build

    return asyncio.run(diagnose(build(config), sys.stdout))


def cmd_init(args: argparse.Namespace, config: Config) -> int:
    from botkit.adapters import registry
    from botkit.config import (
        BotSettings,
        LoggingSettings,
        MetricsSettings,
        PluginsSettings,
        StorageSettings,
        render_section,
    )
    from botkit.runner import build

    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"botkit: {path} exists; use --force to overwrite it", file=sys.stderr)
        return 1
    bot = build(config)
    sections = [
        "# botkit configuration. Secrets (DISCORD_TOKEN, TELEGRAM_TOKEN, OPENAI_API_KEY, ...)\n"
        "# come from the environment, never from this file.",
        render_section("bot", BotSettings),
        render_section("storage", StorageSettings),
        render_section("plugins", PluginsSettings),
        render_section("logging", LoggingSettings),
        render_section("metrics", MetricsSettings),
    ]
    for status in registry.statuses():
        spec = registry.load(status.name) if status.state != "error" else None
        if spec is not None and getattr(spec, "settings", None) is not None:
            sections.append(render_section(status.name, spec.settings))
    sections += [render_section(name, type(s)) for name, s in bot.settings.items()]
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


def cmd_new_plugin(args: argparse.Namespace, config: None) -> int:
    from botkit.scaffold import ScaffoldError, write_plugin

    try:
        root = write_plugin(args.name, Path(args.directory))
    except ScaffoldError as exc:
        print(f"botkit: {exc}", file=sys.stderr)
        return 1
    python = shlex.quote(sys.executable)  # works without an activated environment
    install = f"{python} -m pip install -e {shlex.quote(f'{root}[test]')}"
    print(f"wrote {root}; try: {install} && {python} -m pytest {shlex.quote(str(root))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
