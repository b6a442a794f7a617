"""Start-up: the token checked with getMe, commands registered, one clear line on failure."""

from __future__ import annotations

import pytest
from botkit_telegram import TelegramSettings
from botkit_telegram.adapter import TelegramAdapter, TelegramStartError

WRONG = "987654321:AAWrongTokenWrongTokenWrongToken12345"


async def test_a_wrong_token_is_one_clear_line_without_the_token(telegram_harness):
    with pytest.raises(TelegramStartError) as failure:
        async with telegram_harness(token=WRONG):
            pass
    message = str(failure.value)
    assert message.startswith("Telegram rejected TELEGRAM_TOKEN;")
    assert "@BotFather" in message and WRONG not in message and "\n" not in message


async def test_a_token_that_is_no_bot_token_is_refused_before_any_request(telegram_api):
    adapter = TelegramAdapter(TelegramSettings(base_url=telegram_api.base_url), "not-a-token")
    with pytest.raises(TelegramStartError, match="not a bot token"):
        await adapter.connect(_NoBot())
    assert telegram_api.account.calls == []


async def test_a_missing_token_says_to_set_it(telegram_api):
    adapter = TelegramAdapter(TelegramSettings(base_url=telegram_api.base_url), "")
    with pytest.raises(TelegramStartError, match="TELEGRAM_TOKEN is not set"):
        await adapter.connect(_NoBot())


async def test_an_unreachable_server_is_one_clear_line():
    settings = TelegramSettings(base_url="http://127.0.0.1:9", connect_timeout=5)
    adapter = TelegramAdapter(settings, "123:" + "A" * 35)
    try:
        with pytest.raises(TelegramStartError) as failure:
            await adapter.connect(_NoBot())
    finally:
        await adapter.close()
    assert str(failure.value).startswith("cannot reach the Bot API at http://127.0.0.1:9")


async def test_every_command_is_registered_with_telegram_names(telegram_harness):
    from conftest import Commands

    async with telegram_harness(plugins={"tools": Commands()}) as tg:
        commands = {c["command"]: c["description"] for c in tg.fake.account.commands}
    assert commands["train_start"] == "Start training on a dataset."
    assert {"hi", "help", "wipe", "whoami"} <= set(commands)
    assert "start" not in commands


async def test_sync_commands_false_registers_nothing(telegram_harness):
    async with telegram_harness(config={"telegram": {"sync_commands": False}}) as tg:
        methods = [c.method for c in tg.fake.account.calls]
    assert "setMyCommands" not in methods


async def test_long_polling_removes_a_webhook_left_from_before(telegram_harness):
    async with telegram_harness() as tg:
        await tg.send("/hi")
        methods = [c.method for c in tg.fake.account.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")


async def test_updates_handled_before_closing_are_confirmed(telegram_harness):
    async with telegram_harness() as tg:
        update_id, _ = await tg.fake.say(tg.dm(), tg.owner, "/hi")
        await tg.settle(update_id)
    assert tg.fake.account.updates == []
    assert tg.fake.account.confirmed == update_id + 1


class _NoBot:
    """Never reached: connect fails before it uses the bot."""
