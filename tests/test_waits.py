"""A wait for a person does not count against the host's time-outs; the rest still does."""

from __future__ import annotations

import asyncio

from botkit import Context, command, hookimpl

HOOK_TIMEOUT = 0.3
LONG = 2 * HOOK_TIMEOUT  # longer than a hook may take


class Patient:
    """Answers "wait" after a long wait for a person, "hang" after a long wait of its own,
    "both" after the one and then the other."""

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets):
        if text in ("wait", "both"):
            with ctx.waiting_for_person():
                await asyncio.sleep(LONG)
        if text in ("hang", "both"):
            await asyncio.sleep(LONG)
        return "answered"

    @hookimpl
    def botkit_commands(self):
        async def ask(ctx: Context) -> str:
            """Wait for someone."""
            with ctx.waiting_for_person():
                await asyncio.sleep(LONG)
            return "asked"

        return [command(ask)]


CONFIG = {"bot": {"hook_timeout": HOOK_TIMEOUT}}


async def test_a_hook_waiting_for_a_person_outlasts_the_hook_timeout(botkit_harness) -> None:
    async with botkit_harness({"patient": Patient()}, config=CONFIG) as bot:
        reply = await bot.send("wait", mention=True)
    assert reply.text == "answered"


async def test_a_hook_waiting_on_its_own_is_still_cut_off(botkit_harness) -> None:
    async with botkit_harness({"patient": Patient()}, config=CONFIG) as bot:
        reply = await bot.send("hang", mention=True)
        timeouts = bot.status("patient").timeouts
    assert "answered" not in reply.text
    assert timeouts == 1


async def test_the_time_left_after_a_wait_still_bounds_the_hook(botkit_harness) -> None:
    async with botkit_harness({"patient": Patient()}, config=CONFIG) as bot:
        reply = await bot.send("both", mention=True)
        timeouts = bot.status("patient").timeouts
    assert "answered" not in reply.text
    assert timeouts == 1


async def test_a_command_waiting_for_a_person_outlasts_the_hook_timeout(botkit_harness) -> None:
    async with botkit_harness({"patient": Patient()}, config=CONFIG) as bot:
        reply = await bot.send("!ask")
    assert reply.text == "asked"
