"""Start-up benchmark: how soon botkit answers, against plain Python and ``import discord``.

Each command runs ``--runs`` times in a fresh process, alternating, with no configuration
file and a temporary data directory; the median wall time is reported with its ratio to
``python -c pass`` of the same run:

- ``botkit --version``: the CLI alone (target under 5x ``python -c pass``);
- ``botkit plugins list``: every installed plugin and adapter discovered and registered
  (target under 0.3 s);
- console ready: ``printf '!hi\\n' | botkit run`` with every plugin until ``HI!`` is printed
  (target under 1 s);
- baselines ``python -c pass`` and ``python -c 'import discord'``.

botkit and the installed plugins are byte-compiled first, as a wheel install does.

    python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(command: list[str], stdin: bytes | None, env: dict[str, str], expect: str) -> float:
    """Wall seconds until the process has printed ``expect`` (or ended, when empty)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    if stdin is not None:
        process.stdin.write(stdin)
    process.stdin.close()
    if expect:
        for line in process.stdout:
            if line.decode().strip() == expect:
                break
        else:
            raise RuntimeError(f"{command} never printed {expect!r}")
    seconds = time.perf_counter() - started
    process.stdout.read()
    if process.wait(timeout=60) != 0:
        raise RuntimeError(f"{command} failed")
    return seconds if expect else time.perf_counter() - started


def compile_bytecode() -> None:
    """Byte-compile botkit and every installed plugin and adapter, as ``pip install`` of a
    wheel does: editable installs (and ``PYTHONDONTWRITEBYTECODE``) would otherwise have each
    run compile whatever changed since the last one."""
    from importlib.metadata import entry_points
    from importlib.util import find_spec

    modules = {"botkit"} | {
        ep.module.split(".")[0]
        for group in ("botkit.plugins", "botkit.adapters")
        for ep in entry_points(group=group)
    }
    folders = []
    for name in sorted(modules):
        spec = find_spec(name)
        if spec is not None and spec.origin:
            folders.append(str(Path(spec.origin).parent))
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True)


def main(runs: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
        env.update(BOTKIT_DATA_DIR=str(Path(tmp) / "data"), BOTKIT_CONFIG="")
        env.pop("BOTKIT_CONFIG")
        botkit = str(BIN / "botkit")
        cases = {
            "python -c pass": ([sys.executable, "-c", "pass"], None, ""),
            "python -c 'import discord'": ([sys.executable, "-c", "import discord"], None, ""),
            "botkit --version": ([botkit, "--version"], None, ""),
            "botkit plugins list": ([botkit, "plugins", "list"], None, ""),
            "console ready (!hi answered)": ([botkit, "run"], b"!hi\n", "HI!"),
        }
        seconds: dict[str, list[float]] = {name: [] for name in cases}
        compile_bytecode()
        for command, stdin, expect in cases.values():  # warm the file cache
            timed(command, stdin, env, expect)
        for _ in range(runs):
            for name, (command, stdin, expect) in cases.items():
                seconds[name].append(timed(command, stdin, env, expect))
    base = statistics.median(seconds["python -c pass"])
    print(f"start-up, {runs} runs each, median wall seconds (min)")
    print(f"{'':<32}{'median':>8}{'min':>8}{'x pass':>8}  target")
    targets = {
        "botkit --version": ("5x python -c pass", lambda s: s < 5 * base),
        "botkit plugins list": ("0.3 s", lambda s: s < 0.3),
        "console ready (!hi answered)": ("1 s", lambda s: s < 1.0),
    }
    ok = True
    for name, values in seconds.items():
        median = statistics.median(values)
        target, met = targets.get(name, ("", None))
        verdict = "" if met is None else ("ok" if met(median) else "MISSED")
        ok &= met is None or met(median)
        print(
            f"{name:<32}{median:>8.3f}{min(values):>8.3f}{median / base:>8.1f}  "
            f"{'< ' + target if target else ''} {verdict}".rstrip()
        )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command")
    sys.exit(main(parser.parse_args().runs))
