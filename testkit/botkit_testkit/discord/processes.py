"""Real ``botkit run`` processes of one bot against a fake Discord served over the network.

Each process gets a configuration file of its own (``[storage] url``, ``[discord] api_base``
pointing at :func:`botkit_testkit.discord.server.serve_fake`'s server, and the ``[discord]``
settings given) and ``DISCORD_TOKEN`` = the fake's token; its output goes to
``process-N.log`` in the working directory. Used by the multi-process cluster test and by
``bench/cluster.py``:

    async with serve_fake(fake) as server:
        processes = BotProcesses(server, storage_url, workdir, {"shard_ids": "leased", ...})
        await processes.start(0)
        ...
        processes.running[pid].kill()      # SIGKILL: nothing handed over
        await processes.stop()             # SIGTERM to the others, then wait
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from asyncio.subprocess import PIPE, STDOUT
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from botkit_testkit.discord.server import FakeDiscordServer

# installed plugins a cluster process need not load (they want keys, models or voice)
HEAVY_PLUGINS = ("mcp", "openai_chat", "piper", "trainer", "voice")
STOP_SECONDS = 15.0
BOTKIT = Path(sys.executable).with_name("botkit")

__all__ = ["HEAVY_PLUGINS", "BotProcesses"]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value)  # strings and lists of them: TOML's basic strings and arrays


class BotProcesses:
    """``botkit run --adapter discord`` processes of one bot, each with its own file."""

    def __init__(
        self,
        server: FakeDiscordServer,
        storage_url: str,
        workdir: Path,
        discord: Mapping[str, Any],
        disabled: Sequence[str] = HEAVY_PLUGINS,
    ) -> None:
        self.server, self.url, self.workdir = server, storage_url, workdir
        self.discord = {"api_base": server.api_base, "guild_ready_timeout": 0, **discord}
        self.disabled = list(disabled)
        self.running: dict[int, asyncio.subprocess.Process] = {}  # pid -> process

    def config(self, n: int, extra: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
        """Write process ``n``'s file (``extra``: more sections, e.g. ``{"web": {...}}``)."""
        sections = {
            "bot": {"data_dir": str(self.workdir / f"data-{n}"), "typing_delay": 0},
            "storage": {"url": self.url},
            "plugins": {"disabled": self.disabled},
            "discord": self.discord,
            **(extra or {}),
        }
        path = self.workdir / f"shard-{n}.toml"
        path.write_text(
            "".join(
                f"[{name}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in values.items()) + "\n"
                for name, values in sections.items()
            ),
            encoding="utf-8",
        )
        return path

    def env(self, n: int) -> dict[str, str]:
        """The environment of process ``n`` (its file, the fake's token)."""
        env = {
            **os.environ,
            "DISCORD_TOKEN": self.server.fake.token,
            "BOTKIT_CONFIG": str(self.workdir / f"shard-{n}.toml"),
        }
        env.pop("OPENAI_API_KEY", None)
        return env

    async def start(
        self, n: int, extra: Mapping[str, Mapping[str, Any]] | None = None
    ) -> asyncio.subprocess.Process:
        """Start process ``n`` (it connects in the background)."""
        self.config(n, extra)
        with (self.workdir / f"process-{n}.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                str(BOTKIT), "run", "--adapter", "discord", env=self.env(n), stdout=log, stderr=log
            )
        self.running[process.pid] = process
        return process

    async def cli(self, n: int, *args: str) -> str:
        """Run ``botkit ARGS`` with process ``n``'s file; its output (RuntimeError if it fails)."""
        done = await asyncio.create_subprocess_exec(
            str(BOTKIT), *args, env=self.env(n), stdout=PIPE, stderr=STDOUT
        )
        out, _ = await done.communicate()
        if done.returncode:
            raise RuntimeError(f"botkit {' '.join(args)} failed: {out.decode(errors='replace')}")
        return out.decode()

    async def stop(self) -> None:
        """SIGTERM to every process still running; SIGKILL to any not gone in 15 s."""
        for process in self.running.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                async with asyncio.timeout(STOP_SECONDS):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()

    async def holders(self) -> dict[int, int]:
        """Shard id -> the pid of the process whose lease on it is current."""
        import asyncpg
        from sqlalchemy.engine import make_url

        dsn = make_url(self.url).set(drivername="postgresql")
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        try:
            rows = await conn.fetch(
                "SELECT shard_id, holder FROM botkit_shard_leases WHERE holder IS NOT NULL "
                "AND expires_at >= extract(epoch from clock_timestamp())"
            )
        finally:
            await conn.close()
        return {r["shard_id"]: int(r["holder"].split(":")[1]) for r in rows}

    def logs(self) -> str:
        """Every process's output so far."""
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.workdir.glob("process-*.log"))
        )
