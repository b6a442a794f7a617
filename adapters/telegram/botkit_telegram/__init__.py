"""botkit on Telegram: the Bot API through aiogram's HTTP client and types.

The entry point ``botkit.adapters: telegram`` names ``adapter``; the adapter itself lives in
``botkit_telegram.adapter`` and is imported only when it is used.
"""

from botkit_telegram.settings import TelegramSettings
from botkit_telegram.spec import TelegramSpec, adapter

__all__ = ["TelegramSettings", "TelegramSpec", "adapter"]
