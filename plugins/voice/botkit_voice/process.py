"""Running a helper program (ffmpeg, espeak-ng) without blocking, killed at its time-out."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import attrs


@attrs.frozen
class Finished:
    """A program's exit status and output."""

    returncode: int
    stdout: bytes = attrs.field(repr=False)
    stderr: bytes = attrs.field(repr=False)

    def error_text(self, limit: int = 500) -> str:
        """The end of stderr, for a log line."""
        return self.stderr.decode("utf-8", "replace").strip()[-limit:]


async def run(argv: Sequence[str], stdin: bytes | None, time_limit: float) -> Finished:
    """Run ``argv`` feeding ``stdin``; after ``time_limit`` s kill it and raise TimeoutError."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(stdin), time_limit)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return Finished(process.returncode, stdout, stderr)
