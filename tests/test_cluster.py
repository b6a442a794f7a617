"""The host's side of several processes on PostgreSQL: one leader, ``botkit cluster``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from botkit.cli import main
from botkit.cluster import Leader, ShardLeases

pytestmark = pytest.mark.timeout(60)


async def test_one_leader_runs_the_work_and_another_takes_over_when_it_stops(
    postgres_url: str,
) -> None:
    ran: list[str] = []
    started = {name: asyncio.Event() for name in ("a", "b")}

    def work(name: str):
        async def run() -> None:
            ran.append(name)
            started[name].set()
            await asyncio.Event().wait()

        return run

    a, b = Leader(postgres_url, "jobs", retry=0.1), Leader(postgres_url, "jobs", retry=0.1)
    task_a = asyncio.create_task(a.run(work("a")))
    await asyncio.wait_for(started["a"].wait(), 10)
    task_b = asyncio.create_task(b.run(work("b")))
    await asyncio.sleep(0.5)  # b tries several times meanwhile
    assert ran == ["a"] and a.is_leader and not b.is_leader
    await a.close()
    await asyncio.wait_for(task_a, 10)
    await asyncio.wait_for(started["b"].wait(), 10)
    assert ran == ["a", "b"] and b.is_leader
    await b.close()
    await asyncio.wait_for(task_b, 10)


def test_botkit_cluster_shows_processes_shards_and_shards_without_a_holder(
    postgres_url: str, tmp_path: Path, capsys
) -> None:
    async def a_process_that_stays() -> None:
        leases = ShardLeases(
            postgres_url,
            4,
            start_shard=lambda shard_id: None,
            stop_shard=lambda shard_id: asyncio.sleep(0),
            max_shards=2,
            holder="worker-a",
        )
        await leases.start()
        assert sorted(leases.held) == [0, 1]
        await leases.tick()  # still two: nobody else has the capacity, so 2 and 3 stay free

    asyncio.run(a_process_that_stays())
    config = tmp_path / "botkit.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\n[storage]\nurl = "{postgres_url}"\n', encoding="utf-8"
    )
    assert main(["cluster", "--config", str(config)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1 process(es), 4 shard(s)"
    assert "last heartbeat" in out[1]
    assert out[2].startswith("  shards: 0 (held ") and ", 1 (held " in out[2]
    assert out[3] == "shards without a holder: 2, 3"


def test_botkit_cluster_on_sqlite_says_postgresql_is_needed(tmp_path: Path, capsys) -> None:
    config = tmp_path / "botkit.toml"
    config.write_text(f'[bot]\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    assert main(["cluster", "--config", str(config)]) == 1
    assert "through PostgreSQL" in capsys.readouterr().err
