"""Throwaway plugins that fail in every way, built from ``botkit/hookspecs.py``.

Every hook there gets every fault kind, so a hook added to the spec is covered (and a hook
without a way to trigger it fails ``test_every_hook_has_a_trigger``).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

import attrs

import botkit
from botkit import hookspecs
from botkit.hookspecs import SPECS, Kind
from botkit.models import Reply
from botkit.results import check_command

HOOKS = sorted(SPECS)
REGISTRATION = [h for h in HOOKS if SPECS[h].kind is Kind.REGISTRATION]
RUNTIME = [h for h in HOOKS if SPECS[h].kind is not Kind.REGISTRATION]


@attrs.define
class FakeClock:
    """Monotonic seconds that move only when a test (or a "blocking" plugin) says so."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Echo:
    """A chat plugin that answers every plain message, so the answer pipeline has an end."""

    @botkit.hookimpl(trylast=True)
    def botkit_respond(self, ctx: botkit.Context, text: str, snippets: list[str]) -> str:
        return f"echo: {text}"


class Injected(BaseException):
    """A ``BaseException`` that is neither ``Exception`` nor anything asyncio knows."""


@attrs.define
class NoDefaults:
    """A settings class the host cannot build: its field has no default."""

    needed: str


WRONG_VALUES: list[Any] = [
    42,
    "not what was asked",
    [None],
    {"a": "dict"},
    object(),
    Reply(text=42),  # type: ignore[arg-type]
    NoDefaults,
    True,
]


def wrong_values(hook: str) -> list[Any]:
    """The candidates the host must refuse as ``hook``'s result (none for "anything")."""
    check = check_command if hook == "command" else SPECS[hook].check
    return [v for v in WRONG_VALUES if check(v)]


def arg_names(hook: str) -> list[str]:
    return list(inspect.signature(getattr(hookspecs, hook)).parameters)


@attrs.frozen
class Fault:
    """One way of failing: the hook's body, whether it is ``async def``, what is counted."""

    name: str
    body: Callable[..., Any]
    is_async: bool
    counted: str  # the word on the plugin's status: failure, bad result, time-out, slow call


def _raise(exc: BaseException) -> Callable[[Any], Any]:
    def body(clock: Any) -> Any:
        raise exc

    return body


async def _forever(clock: Any) -> Any:
    await asyncio.Event().wait()


def hold_loop(clock: Any) -> None:
    clock.advance(5.0)  # what time.sleep(5) does to the loop, seen by the watchdog's clock


def _sleep(clock: Any) -> None:
    time.sleep(0.2)  # a plain def that blocks: in its worker thread, past the hook's time-out


def runtime_faults(hook: str) -> list[Fault]:
    """Every fault kind for runtime hook ``hook``."""
    if SPECS.get(hook) is not None and SPECS[hook].kind is Kind.QUICK:
        return quick_faults(hook)
    faults = [
        Fault("raise", _raise(RuntimeError("injected fault")), False, "failure"),
        Fault("raise-async", _raise(RuntimeError("injected fault")), True, "failure"),
        Fault("system-exit", _raise(SystemExit(3)), True, "failure"),
        Fault("base-exception", _raise(Injected("injected")), False, "failure"),
        Fault("cancelled", _raise(asyncio.CancelledError()), True, "failure"),
        Fault("cancelled-sync", _raise(asyncio.CancelledError()), False, "failure"),
        Fault("timeout", _forever, True, "time-out"),
        Fault("blocking", _sleep, False, "time-out"),
        Fault("blocking-async", hold_loop, True, "slow call"),
    ]
    for i, value in enumerate(wrong_values(hook)):
        faults.append(Fault(f"wrong-type-{i}", lambda clock, v=value: v, i % 2 == 1, "bad result"))
    return faults


def quick_faults(hook: str) -> list[Fault]:
    """Every fault kind for quick hook ``hook``: a plain def the gate calls on the loop (an
    ``async def`` one is refused when its plugin loads, see the fault suite)."""
    faults = [
        Fault("raise", _raise(RuntimeError("injected fault")), False, "failure"),
        Fault("system-exit", _raise(SystemExit(3)), False, "failure"),
        Fault("base-exception", _raise(Injected("injected")), False, "failure"),
        Fault("cancelled", _raise(asyncio.CancelledError()), False, "failure"),
        Fault("blocking", hold_loop, False, "slow call"),
    ]
    for i, value in enumerate(wrong_values(hook)):
        faults.append(Fault(f"wrong-type-{i}", lambda clock, v=value: v, False, "bad result"))
    return faults


def registration_faults(hook: str) -> list[Fault]:
    """Every fault kind for registration hook ``hook`` (each drops the plugin, named)."""
    faults = [
        Fault("raise", _raise(RuntimeError("injected fault")), False, "error"),
        Fault("system-exit", _raise(SystemExit(3)), False, "error"),
        Fault("base-exception", _raise(Injected("injected")), False, "error"),
        Fault("cancelled", _raise(asyncio.CancelledError()), False, "error"),
        Fault("async-def", lambda clock: None, True, "error"),
    ]
    for i, value in enumerate(wrong_values(hook)):
        faults.append(Fault(f"wrong-type-{i}", lambda clock, v=value: v, False, "error"))
    return faults


def faulty_plugin(hook: str, fault: Fault, clock: Any) -> object:
    """A plugin whose one hook, ``hook``, fails as ``fault`` says."""
    params = ", ".join(["self", *([] if hook in REGISTRATION else arg_names(hook))])
    if inspect.iscoroutinefunction(fault.body):
        source = f"async def {hook}({params}):\n    return await body(clock)\n"
    elif fault.is_async:
        source = f"async def {hook}({params}):\n    return body(clock)\n"
    else:
        source = f"def {hook}({params}):\n    return body(clock)\n"
    namespace: dict[str, Any] = {"body": fault.body, "clock": clock}
    exec(source, namespace)  # a real def with the hook's own argument names, as pluggy needs
    return type(f"Faulty_{hook}", (), {hook: botkit.hookimpl(namespace[hook])})()


def _stream_of(*steps: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A hook body answering with a ``Reply`` whose stream runs ``steps`` one by one."""

    def body(clock: Any) -> Reply:
        async def pieces() -> Any:
            for step in steps:
                yield step(clock)

        return Reply(stream=pieces())

    return body


def stream_faults() -> list[Fault]:
    """Every way a streamed answer (``botkit_respond``'s ``Reply.stream``) can go wrong."""
    text = lambda clock: "some words "  # noqa: E731
    return [
        Fault("stream-raise", _stream_of(text, _raise(RuntimeError("broke"))), True, "failure"),
        Fault("stream-system-exit", _stream_of(text, _raise(SystemExit(3))), True, "failure"),
        Fault("stream-cancelled", _stream_of(_raise(asyncio.CancelledError())), False, "failure"),
        Fault("stream-not-text", _stream_of(text, lambda clock: 42), True, "bad result"),
        Fault(
            "stream-blocking",
            _stream_of(text, lambda clock: hold_loop(clock) or "x"),
            True,
            "slow call",
        ),
    ]
