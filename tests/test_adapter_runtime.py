"""botkit.adapter's shared runtime: the bounded map and the handlers every adapter runs."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.adapter import BoundedMap, Handlers

log = logging.getLogger("botkit.test-adapter")

OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["set", "get", "del"]), st.integers(0, 9), st.integers()),
    max_size=60,
)


@given(max_size=st.integers(1, 5), operations=OPERATIONS)
def test_bounded_map_keeps_the_most_recently_used_entries(max_size, operations) -> None:
    bounded: BoundedMap[int, int] = BoundedMap(max_size)
    model: OrderedDict[int, int] = OrderedDict()  # least recently used first
    for operation, key, value in operations:
        if operation == "set":
            bounded[key] = value
            model[key] = value
            model.move_to_end(key)
            if len(model) > max_size:
                model.popitem(last=False)
        elif operation == "get":
            assert bounded.get(key) == model.get(key)
            if key in model:
                model.move_to_end(key)
        else:
            bounded.pop(key, None)
            model.pop(key, None)
        assert list(bounded.items()) == list(model.items())
        assert len(bounded) <= max_size


def test_bounded_map_refuses_a_size_below_one() -> None:
    with pytest.raises(ValueError, match="max_size must be at least 1, not 0"):
        BoundedMap(0)


async def test_a_failing_handler_is_logged_and_the_others_run(caplog) -> None:
    handlers = Handlers(log)
    done: list[str] = []

    async def fails() -> None:
        raise RuntimeError("boom")

    async def works() -> None:
        done.append("works")

    with caplog.at_level(logging.ERROR, log.name):
        handlers.spawn(fails(), "update 1")
        handlers.spawn(works(), "update 2")
        await handlers.drain(None)
    assert done == ["works"]
    (record,) = caplog.records
    assert record.getMessage() == "update 1 failed" and "RuntimeError: boom" in caplog.text
    assert handlers.tasks == set()


async def test_an_expected_failure_is_one_line(caplog) -> None:
    handlers = Handlers(log, lambda exc: f"refused: {exc}" if isinstance(exc, KeyError) else None)

    async def refused() -> None:
        raise KeyError("nope")

    with caplog.at_level(logging.WARNING, log.name):
        await handlers.run(refused(), "message 7")
    assert [r.getMessage() for r in caplog.records] == ["message 7: refused: 'nope'"]
    assert "Traceback" not in caplog.text


async def test_run_tracks_the_current_task_while_it_runs() -> None:
    handlers = Handlers(log)
    seen: list[bool] = []

    async def look() -> None:
        seen.append(asyncio.current_task() in handlers.tasks)

    await handlers.run(look(), "message 1")
    assert seen == [True]
    assert handlers.tasks == set()


async def test_drain_waits_for_running_handlers() -> None:
    handlers = Handlers(log)
    release = asyncio.Event()
    finished: list[str] = []

    async def slow() -> None:
        await release.wait()
        finished.append("slow")

    handlers.spawn(slow(), "update 1")
    draining = asyncio.create_task(handlers.drain(None))
    await asyncio.sleep(0)
    assert not draining.done()
    release.set()
    await draining
    assert finished == ["slow"]


async def test_drain_cancels_what_outlives_the_grace_period(caplog) -> None:
    handlers = Handlers(log)
    task = handlers.spawn(asyncio.Event().wait(), "update 1")
    with caplog.at_level(logging.WARNING, log.name):
        await handlers.drain(0.01)
    await asyncio.sleep(0)
    assert task.cancelled()
    assert "1 handler(s) still running after 0.01 s; cancelled" in caplog.text
