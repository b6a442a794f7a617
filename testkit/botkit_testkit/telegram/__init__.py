"""Test kit for Telegram bots: a local Bot API server and a harness running a bot against it.

async def test_hi(telegram_harness):
    async with telegram_harness(plugins={"mine": my_plugin}) as tg:
        replies = await tg.send("/hi")
        assert replies.text == "HI!"
"""

from botkit_testkit.telegram.harness import Replies, TelegramHarness, start_telegram
from botkit_testkit.telegram.server import TOKEN, Call, FakeTelegram, Upload, is_ogg_opus

__all__ = [
    "TOKEN",
    "Call",
    "FakeTelegram",
    "Replies",
    "TelegramHarness",
    "Upload",
    "is_ogg_opus",
    "start_telegram",
]
