"""Tools: commands the assistant may run as the asker, through the gate, with approval."""

from __future__ import annotations

import asyncio

import pytest

from botkit import Context, Permission, Tool, command, hookimpl
from botkit.testing import OWNER

ROLLS: list[int] = []


async def roll(ctx: Context, sides: int = 6) -> str:
    """Roll a die."""
    ROLLS.append(sides)
    return str(min(17, sides))


async def wipe(ctx: Context, *, what: str) -> str:
    """Wipe something."""
    return f"wiped {what}"


async def secret(ctx: Context) -> str:
    """Owner's secret."""
    return "s3cret"


class Dice:
    @hookimpl
    def botkit_commands(self):
        return [
            command(roll, tool=True, param_help={"sides": "faces of the die"}),
            command(wipe, confirm=True),
            command(secret, tool=True, permission=Permission.OWNER),
        ]


class Clocks:
    @hookimpl
    def botkit_tools(self, guild_id):
        async def now(ctx, arguments):
            return f"noon in {arguments.get('zone', 'UTC')}"

        return [Tool("clock now", "The time.", run=now)]


class Assistant:
    """A stand-in model: "tools" lists the offered tools; "call NAME {json}" calls one."""

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets):
        if text == "tools":
            return " ".join(sorted(t["function"]["name"] for t in await ctx.tools()))
        _, name, arguments = text.split(" ", 2)
        result = await ctx.run_tool(name, arguments, approval_timeout=60)
        return f"{result.line} | {result.text}"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


PLUGINS = {"dice": Dice(), "clocks": Clocks(), "assistant": Assistant()}


async def test_a_commands_schema_comes_from_its_signature(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        tools = {t.name: t for t in await bot.bot.tools.available(bot.channel.guild_id)}
    assert tools["roll"].function()["function"] == {
        "name": "roll",
        "description": "Roll a die.",
        "parameters": {
            "type": "object",
            "properties": {"sides": {"type": "integer", "description": "faces of the die"}},
        },
    }
    assert tools["wipe"].parameters["required"] == ["what"]
    assert tools["clock_now"].plugin == "clocks"


async def test_the_model_is_offered_only_what_the_asker_may_run(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        member = (await bot.send("tools", user=bot.member, mention=True)).text
        owner = (await bot.send("tools", mention=True)).text
    assert member == "clock_now help mydata roll wipe"
    assert owner == "clock_now help mydata plugins roll secret wipe"


async def test_a_tool_runs_as_the_asker_with_converted_arguments(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        reply = await bot.send('call roll {"sides": "20"}', user=bot.member, mention=True)
    assert reply.text == "🔧 roll(sides=20) → 17 | 17"


async def test_a_plugins_tool_runs_with_its_arguments(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        reply = await bot.send('call clock_now {"zone": "CET"}', user=bot.member, mention=True)
    assert reply.text == '🔧 clock_now(zone="CET") → noon in CET | noon in CET'


async def test_a_rule_that_denies_the_command_denies_the_tool(botkit_harness) -> None:
    ROLLS.clear()
    async with botkit_harness(PLUGINS) as bot:
        await bot.send("!rules add deny command roll role @everyone")
        offered = (await bot.send("tools", user=bot.member, mention=True)).text
        reply = await bot.send('call roll {"sides": 20}', user=bot.member, mention=True)
    assert "roll" not in offered.split()
    assert reply.text.startswith("🔧 roll(sides=20) → Refused: ")
    assert ROLLS == []


async def test_the_owners_permission_is_not_lent_to_a_member(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        reply = await bot.send("call secret {}", user=bot.member, mention=True)
    assert reply.text.endswith("Refused: Only the bot's owner can use this command.")


async def test_wrong_arguments_are_told_to_the_model(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        reply = await bot.send('call roll {"sides": "many"}', user=bot.member, mention=True)
    assert reply.text.endswith("Wrong arguments: sides must be a whole number, not 'many'.")


async def test_a_tool_switched_off_here_is_neither_offered_nor_run(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        answer = (await bot.send("!tools disable roll", user=bot.admin)).text
        offered = (await bot.send("tools", user=bot.member, mention=True)).text
        reply = await bot.send("call roll {}", user=bot.member, mention=True)
        listing = (await bot.send("!tools", user=bot.admin)).text
    assert answer == "The assistant no longer uses roll here."
    assert "roll" not in offered.split()
    assert reply.text.endswith("There is no tool 'roll' here.")
    assert "`roll` (dice) off: Roll a die." in listing.splitlines()


async def test_the_tools_listing_says_which_ask_first(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        await bot.send("!tools approval roll on", user=bot.admin)
        listing = (await bot.send("!tools", user=bot.admin)).text.splitlines()
    assert "`roll` (dice) on, asks first: Roll a die." in listing
    assert "`wipe` (dice) on, asks first: Wipe something." in listing
    assert "`help` (builtin) on: List the commands you may run here, or explain one." in listing


async def test_a_member_cannot_change_the_tools(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        reply = await bot.send("!tools disable roll", user=bot.member)
    assert reply.text == "Only server admins (Manage Server) can use this command."


async def _ask(bot, text: str, user=OWNER) -> asyncio.Task:
    return asyncio.create_task(bot.send(text, user=user, mention=True))


async def test_a_confirmed_tool_runs_once_the_asker_approves(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        asked = await _ask(bot, 'call wipe {"what": "the board"}', user=bot.member)
        proposal = await bot.buttons()
        await bot.press(proposal.id, "run", user=bot.member)
        reply = await asked
    assert proposal.text == (
        '🔧 The assistant wants to run wipe(what="the board") for member. Run it?'
    )
    assert [b.label for b in proposal.buttons] == ["✅ Run", "❌ Cancel"]
    assert reply.text.endswith('🔧 wipe(what="the board") → wiped the board | wiped the board')


async def test_a_cancelled_tool_does_not_run(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        asked = await _ask(bot, 'call wipe {"what": "x"}', user=bot.member)
        await bot.press((await bot.buttons()).id, "cancel", user=bot.member)
        reply = await asked
    assert reply.text.endswith("Not run: member declined to run it.")


async def test_a_strangers_approval_is_refused(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        asked = await _ask(bot, 'call wipe {"what": "x"}', user=bot.member)
        proposal = await bot.buttons()
        told = await bot.press(proposal.id, "run", user=bot.admin)
        await bot.press(proposal.id, "cancel", user=bot.member)
        reply = await asked
    assert told.text == "Only member can answer this."
    assert reply.text.endswith("Not run: member declined to run it.")


async def test_no_answer_in_time_is_a_refusal(botkit_harness) -> None:
    clock = Clock()
    async with botkit_harness(PLUGINS, clock=clock) as bot:
        asked = await _ask(bot, 'call wipe {"what": "x"}', user=bot.member)
        await bot.buttons()
        clock.now += 61
        reply = await asked
    assert reply.text.endswith("Not run: member did not approve it within 60 seconds.")


@pytest.mark.parametrize("arguments", ["[1]", "{", '{"sides": 3, "colour": "red"}'])
async def test_malformed_arguments_are_refused(botkit_harness, arguments) -> None:
    async with botkit_harness(PLUGINS) as bot:
        reply = await bot.send(f"call roll {arguments}", user=bot.member, mention=True)
    assert "Wrong arguments: " in reply.text


async def test_a_press_not_under_a_proposal_goes_to_the_plugins(botkit_harness) -> None:
    pressed = []

    class Poll:
        @hookimpl
        async def botkit_press(self, ctx, press):
            pressed.append((press.button, ctx.message.author.id))

    async with botkit_harness({"poll": Poll()}) as bot:
        await bot.press("123", "yes", user=bot.member)
    assert pressed == [("yes", bot.member.id)]


async def test_a_json_result_is_shown_on_one_line(botkit_harness) -> None:
    class Weather:
        @hookimpl
        def botkit_tools(self):
            async def now(ctx, arguments):
                return '{\n  "city": "Oslo",\n  "sky": "clear"\n}'

            return [Tool("weather", "The weather.", run=now)]

    async with botkit_harness({"weather": Weather(), "assistant": Assistant()}) as bot:
        reply = await bot.send("call weather {}", user=bot.member, mention=True)
    assert reply.text.startswith('🔧 weather() → { "city": "Oslo", "sky": "clear" } | {')
