"""Redaction benchmark: how long ``botkit.redact`` takes on hostile text.

Hostile text is what made the old pattern backtrack: long runs of word characters with many
"key"/"token" fragments, "-" and "_" inside them, and separators (" ", "=", ":", ".") between,
as in an error text quoting a long input. Four kinds are timed at 4 KB, 40 KB and 1 MB
(median of ``--runs`` runs each); as a baseline, the old pattern (one alternation applied with
``re.sub``) on the same mixed text at 4 KB and 12 KB only, in the same run (it takes about 50 s
at 40 KB). For information, texts that are slow for other reasons: prose (many short words)
and one credential every 11 characters.

Target: 1 MB of every hostile kind in < 50 ms; exit status 1 if missed.

    python bench/redact.py [--runs 7]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable

from botkit.logs import redact

OLD = re.compile(
    r"(?i)bearer\s+\S{8,}"
    r"|\bsk-[\w-]{8,}"
    r"|\bfw_\w{16,}"
    r"|(?<!\d)\d{6,12}:[\w-]{30,}"
    r"|\b[\w-]{24,}\.[\w-]{6,}\.[\w-]{20,}"
    r"|\b[\w-]*(?:key|token|secret|password)[\w-]*\s*[=:]\s*[\"']?[^\s\"',]{6,}"
    r"|\b[a-f0-9]{40,}\b"
)
FRAGMENTS = ["key", "token", "secret", "password", "-", "_", "-key", "token_", "x" * 40]
SEPARATORS = [" ", "=", ":", ".", "-", " = ", ": "]
TARGET_S = 0.050


def mixed(size: int, rng: random.Random) -> str:
    """Word runs of fragments (1 to 200 of them) between separators."""
    parts: list[str] = []
    length = 0
    while length < size:
        run = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 200)))
        parts += (run, rng.choice(SEPARATORS))
        length += len(run) + len(parts[-1])
    return "".join(parts)[:size]


def repeated(unit: str) -> Callable[[int, random.Random], str]:
    return lambda size, rng: (unit * (size // len(unit) + 1))[:size]


def prose(size: int, rng: random.Random) -> str:
    words = ["the", "request", "failed", "with", "status", "500", "for", "user", "input"]
    return " ".join(rng.choice(words) for _ in range(size // 4))[:size]


HOSTILE = {
    "mixed fragments and separators": mixed,
    "one run of word characters": repeated("x"),
    "key/token fragments in one run": repeated("key-token_secret"),
    "key/token fragments and separators": repeated("key-token: "),
}
OTHER = {"prose": prose, "a credential every 11 characters": repeated("key=abcdef ")}
SIZES = {"4 KB": 4_000, "40 KB": 40_000, "1 MB": 1_000_000}


def median_seconds(redactor: Callable[[str], str], text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        redactor(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(runs: int) -> int:
    rng = random.Random(1)
    print(f"redact, median of {runs} runs, ms")
    print(f"{'text':<38}" + "".join(f"{size:>10}" for size in SIZES) + "  target")
    ok = True
    for kinds, hostile in ((HOSTILE, True), (OTHER, False)):
        for name, make in kinds.items():
            cells = [median_seconds(redact, make(n, rng), runs) for n in SIZES.values()]
            met = cells[-1] < TARGET_S
            ok &= met or not hostile
            verdict = ("ok" if met else "MISSED") if hostile else "for information"
            row = "".join(f"{s * 1000:>10.2f}" for s in cells)
            print(f"{name:<38}{row}  {'< 50 ms ' + verdict if hostile else verdict}")
    old_runs = max(1, runs // 3)
    for label, size in (("4 KB", 4_000), ("12 KB", 12_000)):
        seconds = median_seconds(_old, mixed(size, rng), old_runs)
        print(
            f"old pattern, mixed fragments, {label:<8}{seconds * 1000:>10.1f}"
            f"  (median of {old_runs})"
        )
    return 0 if ok else 1


def _old(text: str) -> str:
    return OLD.sub("***", text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each text")
    sys.exit(main(parser.parse_args().runs))
