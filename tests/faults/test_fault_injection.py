"""Every hook, every way of failing: the bot starts, serves another user, names the plugin."""

from __future__ import annotations

import asyncio
import inspect
import io
import re
import threading
from collections.abc import Awaitable, Callable

import pytest
from fault_plugins import (
    HOOKS,
    REGISTRATION,
    RUNTIME,
    Echo,
    FakeClock,
    Fault,
    faulty_plugin,
    hold_loop,
    registration_faults,
    runtime_faults,
    stream_faults,
    wrong_values,
)

import botkit
from botkit.doctor import diagnose
from botkit.hookspecs import SPECS, Kind
from botkit.models import File, Message, Reply
from botkit.testing import ADMIN, MEMBER, OWNER, BotHarness

OTHER = MEMBER  # the user who must still be served while a plugin fails


async def _as_plugin(bot: BotHarness, hook: str, first: bool = False, **kwargs: object) -> None:
    """A plugin calls another plugin's service hook, as the trainer or voice would."""
    message = Message(id="1", content="", author=OTHER, channel=bot.channel)
    ctx = bot.bot.context(message, "caller")
    call = ctx.plugin.call_first if first else ctx.plugin.call_all
    await call(hook, ctx=ctx, **kwargs)


async def _reaction(bot: BotHarness) -> list[str]:
    sent = await bot.send("!hi", user=OTHER)
    await bot.react(sent[0].id, "👍")
    return []


def _message(bot: BotHarness) -> Message:
    """A message whose author the assistant would answer (tools are offered for it)."""
    return Message(id="1", content="what can you do?", author=OTHER, channel=bot.channel)


def _audio(bot: BotHarness) -> object:
    return bot.attachment("note.ogg", b"OggS" + bytes(100), "audio/ogg", voice=True)


TRIGGERS: dict[str, Callable[[BotHarness], Awaitable[list[str]]]] = {
    "botkit_startup": lambda bot: _nothing(),  # already called by the start
    "botkit_message_received": lambda bot: _texts(bot.send("just chatting", user=OTHER)),
    "botkit_reaction": _reaction,
    "botkit_press": lambda bot: _texts(bot.press("1", "yes", user=OTHER)),
    "botkit_tools": lambda bot: _listed(bot.bot.tools.offered(_message(bot))),
    "botkit_check": lambda bot: _texts(bot.send("!hi", user=OTHER)),
    "botkit_cooldown": lambda bot: _texts(bot.send("!hi", user=OTHER)),
    "botkit_silent": lambda bot: _cooled_down(bot),
    "botkit_stored_elsewhere": lambda bot: _listed(
        bot.bot.plugins.call_all(  # as the cluster does for what another process stored
            "botkit_stored_elsewhere", owner="botkit", guild_id=bot.channel.guild_id, key="rules"
        )
    ),
    "botkit_knowledge": lambda bot: _texts(bot.dm("what is new?", user=OTHER)),
    "botkit_respond": lambda bot: _texts(bot.dm("hello", user=OTHER)),
    "botkit_deliver": lambda bot: _texts(bot.dm("say hello", user=OTHER)),
    "botkit_transcribe": lambda bot: _texts(bot.dm("", user=OTHER, attachments=[_audio(bot)])),
    "botkit_synthesize": lambda bot: _listed(
        _as_plugin(bot, "botkit_synthesize", True, text="hi", engine="espeak", language="en")
    ),
    "botkit_models": lambda bot: _listed(_as_plugin(bot, "botkit_models")),
    "botkit_training_examples": lambda bot: _listed(_as_plugin(bot, "botkit_training_examples")),
    "botkit_user_data": lambda bot: _listed(_as_plugin(bot, "botkit_user_data", user_id="3")),
    "botkit_delete_user_data": lambda bot: _listed(
        _as_plugin(bot, "botkit_delete_user_data", user_id="3")
    ),
    "botkit_health": lambda bot: _listed(_as_plugin(bot, "botkit_health")),
}


async def _cooled_down(bot: BotHarness) -> list[str]:
    """A cooldown refusal (whether to answer it is asked), for a user other than ``OTHER``."""
    await bot.send("!rules cooldown hi 1/60 user")
    return [await _texts(bot.send("!hi", user=ADMIN)) for _ in "ab"][1]


async def _nothing() -> list[str]:
    return []


async def _texts(replies: Awaitable[list]) -> list[str]:
    return [s.text for s in await replies]


async def _listed(call: Awaitable[None]) -> list[str]:
    await call
    return []


def _cases(hooks: list[str], faults: Callable[[str], list[Fault]]) -> list:
    return [pytest.param(h, f, id=f"{h}-{f.name}") for h in hooks for f in faults(h)]


def _faulty_line(listing: str) -> str:
    return next(line for line in listing.splitlines() if line.startswith("`faulty`"))


def test_every_hook_has_a_trigger() -> None:
    assert set(TRIGGERS) | {"botkit_shutdown"} == set(RUNTIME)


def test_every_hook_that_returns_something_checks_it() -> None:
    unchecked = [h for h in HOOKS if not wrong_values(h)]
    assert unchecked == [h for h in HOOKS if SPECS[h].kind is Kind.OBSERVER]


@pytest.mark.parametrize(("hook", "fault"), _cases(sorted(TRIGGERS), runtime_faults))
async def test_runtime_fault_is_named_and_others_are_served(fault_bot, hook, fault) -> None:
    clock = FakeClock()
    plugins = {"echo": Echo(), "caller": object(), "faulty": faulty_plugin(hook, fault, clock)}
    async with fault_bot(plugins, clock=clock) as bot:
        seen = await TRIGGERS[hook](bot)
        hi = await bot.send("!hi", user=OTHER)
        listing = (await bot.send("!plugins")).text
    assert not any("Traceback" in text for text in seen)
    assert hi.text == "HI!"
    assert re.search(rf"\b[1-9]\d* {fault.counted}", _faulty_line(listing))


@pytest.mark.parametrize("fault", runtime_faults("botkit_shutdown"), ids=lambda f: f.name)
async def test_shutdown_fault_is_counted_and_the_bot_stops(fault_bot, fault) -> None:
    clock = FakeClock()
    async with fault_bot(
        {"faulty": faulty_plugin("botkit_shutdown", fault, clock)}, clock=clock, start=False
    ) as bot:
        await bot.bot.start(bot.adapter)
        hi = await bot.send("!hi", user=OTHER)
        await bot.bot.stop()
    assert hi.text == "HI!"
    assert f"1 {fault.counted}" in bot.bot.plugins.statuses["faulty"].counters()


@pytest.mark.parametrize(("hook", "fault"), _cases(REGISTRATION, registration_faults))
async def test_registration_fault_drops_the_plugin_named(fault_bot, hook, fault) -> None:
    clock = FakeClock()
    async with fault_bot({"faulty": faulty_plugin(hook, fault, clock)}, clock=clock) as bot:
        hi = await bot.send("!hi", user=OTHER)
        listing = (await bot.send("!plugins")).text
    assert hi.text == "HI!"
    line = _faulty_line(listing)
    assert " error: " in line
    assert hook in line


@pytest.mark.parametrize(
    "fault",
    [f for f in runtime_faults("botkit_health") if f.counted != "slow call"],
    ids=lambda f: f.name,
)
async def test_doctor_counts_a_failing_health_check_as_a_problem(fault_bot, fault) -> None:
    clock = FakeClock()
    plugin = faulty_plugin("botkit_health", fault, clock)
    out = io.StringIO()
    async with fault_bot({"faulty": plugin}, clock=clock, start=False) as bot:
        status = await diagnose(bot.bot, out)
    assert status == 1
    assert "ERROR: faulty: its health check failed" in out.getvalue()


COMMAND_FAULTS = [
    *(f for f in runtime_faults("command") if f.counted != "bad result" and f.name != "blocking"),
    Fault("blocking", hold_loop, False, "slow call"),  # a command is async: it holds the loop
    Fault("wrong-type-int", lambda clock: 42, True, "bad result"),
    Fault("wrong-type-reply", lambda clock: Reply(text=42), True, "bad result"),  # type: ignore[arg-type]
    Fault("wrong-type-file", lambda clock: Reply(files=(File("x.txt"),)), True, "bad result"),
]


def faulty_command(fault: Fault, clock: FakeClock) -> object:
    async def boom(ctx: botkit.Context) -> object:
        """Fail as the test says."""
        if inspect.iscoroutinefunction(fault.body):
            return await fault.body(clock)
        return fault.body(clock)

    class Commands:
        @botkit.hookimpl
        def botkit_commands(self) -> list[botkit.Command]:
            return [botkit.command(boom)]

    return Commands()


@pytest.mark.parametrize("fault", COMMAND_FAULTS, ids=lambda f: f.name)
async def test_command_fault_is_answered_named_and_others_are_served(fault_bot, fault) -> None:
    clock = FakeClock()
    async with fault_bot({"faulty": faulty_command(fault, clock)}, clock=clock) as bot:
        answer = await bot.send("!boom")
        hi = await bot.send("!hi", user=OTHER)
        listing = (await bot.send("!plugins")).text
    if fault.counted != "slow call":
        assert answer.text in (
            "!boom failed; the details are in the bot's log.",
            "!boom took too long and was stopped.",
        )
    assert hi.text == "HI!"
    assert f"1 {fault.counted}" in _faulty_line(listing)


@pytest.mark.parametrize("fault", stream_faults(), ids=lambda f: f.name)
async def test_stream_fault_is_answered_named_and_others_are_served(fault_bot, fault) -> None:
    clock = FakeClock()
    faulty = faulty_plugin("botkit_respond", fault, clock)
    async with fault_bot({"faulty": faulty}, clock=clock) as bot:
        answer = await bot.dm("hello", user=OTHER)
        hi = await bot.send("!hi", user=OTHER)
        listing = (await bot.send("!plugins")).text
    if fault.counted != "slow call":
        assert "Something went wrong while answering" in answer.text
    assert "Traceback" not in answer.text
    assert hi.text == "HI!"
    assert f"1 {fault.counted}" in _faulty_line(listing)


# startup runs before the bot serves anyone; message_received runs for the other user's
# message too, so that one waits for the time-out (see test_runtime_fault_..._timeout); quick
# hooks are plain defs on the loop, which cannot hang apart from it
QUICK = sorted(h for h in HOOKS if SPECS[h].kind is Kind.QUICK)
HANGING = sorted(set(TRIGGERS) - {"botkit_startup", "botkit_message_received", *QUICK})


@pytest.mark.parametrize("hook", QUICK)
async def test_an_async_quick_hook_drops_its_plugin_named(fault_bot, hook) -> None:
    clock = FakeClock()
    faulty = faulty_plugin(hook, Fault("async-def", lambda clock: None, True, "error"), clock)
    async with fault_bot({"faulty": faulty}, clock=clock) as bot:
        hi = await bot.send("!hi", user=OTHER)
        listing = (await bot.send("!plugins")).text
    assert hi.text == "HI!"
    assert f"{hook} must be a plain def" in _faulty_line(listing)


@pytest.mark.parametrize("hook", HANGING)
async def test_another_user_is_served_while_a_hook_hangs(fault_bot, hook) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def hang(clock: FakeClock) -> None:
        entered.set()
        await release.wait()

    faulty = faulty_plugin(hook, Fault("hang", hang, True, ""), FakeClock())
    plugins = {"echo": Echo(), "caller": object(), "faulty": faulty}
    async with fault_bot(plugins, config={"bot": {"hook_timeout": 60.0}}) as bot:
        pending = asyncio.create_task(TRIGGERS[hook](bot))
        async with asyncio.timeout(10):  # a guard only: the hook is entered at once
            await entered.wait()
        hi = await bot.send("!hi", user=OWNER)
        release.set()
        await pending
    assert hi.text == "HI!"


@pytest.mark.parametrize("hook", [*HANGING, "botkit_message_received"])
async def test_another_user_is_served_while_a_plain_def_hook_blocks(fault_bot, hook) -> None:
    """A ``def`` implementation that blocks (time.sleep, a blocking client) runs in a worker
    thread: the loop keeps serving while it is still blocked."""
    entered, release, left = threading.Event(), threading.Event(), threading.Event()

    def block(clock: FakeClock) -> None:
        entered.set()
        release.wait(30)  # a guard only: the test releases it as soon as the other user is served
        left.set()

    faulty = faulty_plugin(hook, Fault("block", block, False, ""), FakeClock())
    plugins = {"echo": Echo(), "caller": object(), "faulty": faulty}
    async with fault_bot(plugins, config={"bot": {"hook_timeout": 60.0}}) as bot:
        pending = asyncio.create_task(TRIGGERS[hook](bot))
        assert await asyncio.to_thread(entered.wait, 10)  # a guard only: entered at once
        other = bot.dm("!hi", user=OWNER) if hook == "botkit_message_received" else None
        hi = await (other or bot.send("!hi", user=OWNER))
        still_blocked = not left.is_set()
        release.set()
        await pending
    assert hi.text == "HI!"
    assert still_blocked
