"""The host's !mydata and !forgetme, whatever plugins are installed."""

from __future__ import annotations

import botkit
from botkit import PluginHandle


class Keeper:
    """Stores notes per user in memory, and reports and forgets them."""

    def __init__(self, fail: bool = False) -> None:
        self.notes: dict[str, list[str]] = {"3": ["a", "b"], "2": ["c"]}
        self.fail = fail

    @botkit.hookimpl
    def botkit_user_data(self, plugin: PluginHandle, user_id: str) -> dict[str, int]:
        return {"notes": len(self.notes.get(user_id, []))}

    @botkit.hookimpl
    def botkit_delete_user_data(self, plugin: PluginHandle, user_id: str) -> int:
        if self.fail:
            raise RuntimeError("disk on fire")
        return len(self.notes.pop(user_id, []))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_mydata_lists_what_each_plugin_stores(botkit_harness) -> None:
    async with botkit_harness(plugins={"keeper": Keeper()}) as bot:
        sent = await bot.send("!mydata", user=bot.member)
    assert sent.text == (
        "What I store about you:\n- keeper: 2 notes\n`!forgetme` deletes all of it."
    )


async def test_mydata_with_nothing_stored(botkit_harness) -> None:
    async with botkit_harness(plugins={"keeper": Keeper()}) as bot:
        assert (await bot.send("!mydata")).text == "I store nothing about you."


async def test_forgetme_asks_first_and_deletes_nothing(botkit_harness) -> None:
    keeper = Keeper()
    async with botkit_harness(plugins={"keeper": keeper}) as bot:
        sent = await bot.send("!forgetme", user=bot.member)
    assert sent.text.startswith("This deletes everything I store about you (keeper: 2 notes)")
    assert "`!forgetme confirm` within 2 minutes" in sent.text
    assert keeper.notes["3"] == ["a", "b"]


async def test_forgetme_confirm_deletes_and_says_what(botkit_harness) -> None:
    keeper = Keeper()
    async with botkit_harness(plugins={"keeper": keeper}) as bot:
        await bot.send("!forgetme", user=bot.member)
        sent = await bot.send("!forgetme confirm", user=bot.member)
    assert sent.text == "Done: I deleted everything I stored about you.\n- keeper: 2 records"
    assert "3" not in keeper.notes and keeper.notes["2"] == ["c"]


async def test_confirm_without_asking_first_is_refused(botkit_harness) -> None:
    keeper = Keeper()
    async with botkit_harness(plugins={"keeper": keeper}) as bot:
        sent = await bot.send("!forgetme confirm", user=bot.member)
    assert sent.text == "Type `!forgetme` first; then confirm within two minutes."
    assert keeper.notes["3"] == ["a", "b"]


async def test_a_late_confirmation_is_refused(botkit_harness) -> None:
    keeper, clock = Keeper(), Clock()
    async with botkit_harness(plugins={"keeper": keeper}, clock=clock) as bot:
        await bot.send("!forgetme", user=bot.member)
        clock.now += 121
        sent = await bot.send("!forgetme confirm", user=bot.member)
    assert sent.text.startswith("Type `!forgetme` first")
    assert keeper.notes["3"] == ["a", "b"]


async def test_another_users_confirmation_does_not_count(botkit_harness) -> None:
    keeper = Keeper()
    async with botkit_harness(plugins={"keeper": keeper}) as bot:
        await bot.send("!forgetme", user=bot.member)
        await bot.send("!forgetme confirm", user=bot.admin)
    assert keeper.notes["3"] == ["a", "b"] and keeper.notes["2"] == ["c"]


async def test_a_plugin_that_fails_to_forget_is_named(botkit_harness) -> None:
    async with botkit_harness(plugins={"keeper": Keeper(fail=True)}) as bot:
        await bot.send("!forgetme", user=bot.member)
        sent = await bot.send("!forgetme confirm", user=bot.member)
    assert sent.text == (
        "Done: I stored nothing about you.\nkeeper could not finish; the bot's owner has the "
        "details. Try `!forgetme` again later."
    )


async def test_forgetme_offers_buttons(botkit_harness) -> None:
    async with botkit_harness(plugins={"keeper": Keeper()}) as bot:
        await bot.send("!forgetme", user=bot.member)
        question = await bot.buttons()
    assert [b.label for b in question.buttons] == ["✅ Forget me", "❌ Keep"]


async def test_pressing_forget_me_deletes_like_confirm(botkit_harness) -> None:
    keeper = Keeper()
    async with botkit_harness(plugins={"keeper": keeper}) as bot:
        await bot.send("!forgetme", user=bot.member)
        question = await bot.buttons()
        sent = await bot.press(question.id, question.buttons[0].id, user=bot.member)
    assert sent.text == "Done: I deleted everything I stored about you.\n- keeper: 2 records"
    assert "3" not in keeper.notes and keeper.notes["2"] == ["c"]


async def test_pressing_keep_deletes_nothing(botkit_harness) -> None:
    keeper = Keeper()
    async with botkit_harness(plugins={"keeper": keeper}) as bot:
        await bot.send("!forgetme", user=bot.member)
        question = await bot.buttons()
        sent = await bot.press(question.id, question.buttons[1].id, user=bot.member)
        late = await bot.send("!forgetme confirm", user=bot.member)
    assert sent.text == "Kept: nothing was deleted."
    assert late.text.startswith("Type `!forgetme` first")
    assert keeper.notes["3"] == ["a", "b"]


async def test_a_late_press_is_refused(botkit_harness) -> None:
    keeper, clock = Keeper(), Clock()
    async with botkit_harness(plugins={"keeper": keeper}, clock=clock) as bot:
        await bot.send("!forgetme", user=bot.member)
        question = await bot.buttons()
        clock.now += 121
        sent = await bot.press(question.id, question.buttons[0].id, user=bot.member)
    assert sent.text == "Too late: type `!forgetme` again, then confirm in time."
    assert keeper.notes["3"] == ["a", "b"]


async def test_another_users_press_does_not_count(botkit_harness) -> None:
    keeper = Keeper()
    async with botkit_harness(plugins={"keeper": keeper}) as bot:
        await bot.send("!forgetme", user=bot.member)
        question = await bot.buttons()
        sent = await bot.press(question.id, question.buttons[0].id, user=bot.admin)
    assert sent.text == "Only the person who asked can answer this; type `!forgetme`."
    assert keeper.notes["3"] == ["a", "b"] and keeper.notes["2"] == ["c"]
