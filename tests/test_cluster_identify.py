"""``botkit cluster`` shows the identify queue: each bucket's last identify and the shards
waiting for its slot."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from botkit.cli import main
from botkit.cluster import IdentifyLimiter, cluster_status

pytestmark = pytest.mark.timeout(60)
WINDOW = 600.0  # seconds: nobody waiting gets the slot during the test


def write_config(tmp_path: Path, url: str) -> str:
    config = tmp_path / "botkit.toml"
    config.write_text(f'[bot]\ndata_dir = "{tmp_path}"\n[storage]\nurl = "{url}"\n', "utf-8")
    return str(config)


def test_botkit_cluster_shows_each_bucket_s_last_identify_and_the_shards_waiting(
    postgres_url: str, tmp_path: Path, capsys
) -> None:
    async def identify_and_queue() -> None:
        limiter = IdentifyLimiter(postgres_url, max_concurrency=2, window=WINDOW)
        await limiter.wait(0)  # bucket 0 identifies
        await limiter.wait(1)  # bucket 1 too
        waiting = [asyncio.create_task(limiter.wait(s)) for s in (2, 4)]  # bucket 0 again
        async with asyncio.timeout(30):
            while True:
                status = await cluster_status(postgres_url)
                if status.identify and status.identify[0].waiting == (2, 4):
                    break
                await asyncio.sleep(0.05)
        for task in waiting:
            task.cancel()
        await limiter.close()

    asyncio.run(identify_and_queue())
    assert main(["cluster", "--config", write_config(tmp_path, postgres_url)]) == 0
    out = capsys.readouterr().out.splitlines()
    queue = out[out.index("identify queue:") + 1 :]
    assert len(queue) == 2
    assert re.fullmatch(
        r"  bucket 0: last identify \d+\.\d s ago; 2 shard\(s\) waiting: 2, 4", queue[0]
    )
    assert re.fullmatch(r"  bucket 1: last identify \d+\.\d s ago; 0 shard\(s\) waiting", queue[1])


def test_botkit_cluster_before_any_identify_says_so(
    postgres_url: str, tmp_path: Path, capsys
) -> None:
    assert main(["cluster", "--config", write_config(tmp_path, postgres_url)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "identify queue: no identify yet"
