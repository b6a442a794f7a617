"""The tools offered are made once per command and per set of switched-off plugins; every
change of switches, rules, tool choices or commands still shows in the next offer."""

from __future__ import annotations

import attrs

from botkit import Context, command, hookimpl


async def roll(ctx: Context, sides: int = 6) -> str:
    """Roll a die."""
    return str(sides)


async def flip(ctx: Context) -> str:
    """Flip a coin."""
    return "heads"


class Dice:
    @hookimpl
    def botkit_commands(self):
        return [command(roll, tool=True)]


class Assistant:
    """A stand-in model: "tools" lists the offered tools; "call NAME" calls one."""

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets):
        if text == "tools":
            return " ".join(t["function"]["name"] for t in await ctx.tools())
        result = await ctx.run_tool(text.split()[1], "{}")
        return result.text


PLUGINS = {"dice": Dice(), "assistant": Assistant()}


async def _offered(bot) -> list[str]:
    return (await bot.send("tools", user=bot.member, mention=True)).text.split()


async def test_a_plugin_switched_off_after_an_offer_is_no_longer_offered(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        before = await _offered(bot)
        await bot.send("!plugin disable dice")
        off = await _offered(bot)
        refused = (await bot.send("call roll", user=bot.member, mention=True)).text
        await bot.send("!plugin enable dice")
        on = await _offered(bot)
    assert "roll" in before
    assert "roll" not in off
    assert refused == "There is no tool 'roll' here."
    assert "roll" in on


async def test_a_rule_added_after_an_offer_takes_the_tool_away(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        before = await _offered(bot)
        await bot.send("!rules add deny command roll role @everyone")
        after = await _offered(bot)
    assert "roll" in before
    assert "roll" not in after


async def test_a_tool_disabled_after_an_offer_is_no_longer_offered(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        before = await _offered(bot)
        await bot.send("!tools disable roll", user=bot.admin)
        off = await _offered(bot)
        await bot.send("!tools enable roll", user=bot.admin)
        on = await _offered(bot)
    assert "roll" in before
    assert "roll" not in off
    assert "roll" in on


async def test_a_command_added_after_an_offer_is_offered(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        before = await _offered(bot)
        bot.bot.commands.add(attrs.evolve(command(flip, tool=True), plugin="dice"))
        after = await _offered(bot)
        ran = (await bot.send("call flip", user=bot.member, mention=True)).text
    assert "flip" not in before
    assert "flip" in after
    assert ran == "heads"


async def test_a_switch_in_one_space_leaves_the_others_offer(botkit_harness) -> None:
    async with botkit_harness(PLUGINS) as bot:
        await _offered(bot)
        await bot.send("!plugin disable dice")
        elsewhere = (await bot.dm("tools", user=bot.member)).text.split()
    assert "roll" in elsewhere
