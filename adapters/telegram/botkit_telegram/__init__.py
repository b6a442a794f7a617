"""botkit on Telegram: the Bot API through aiogram's HTTP client and types.

The entry point ``botkit.adapters: telegram`` names ``botkit_telegram.spec:adapter`` (light to
import); the adapter itself, ``botkit_telegram.adapter.TelegramAdapter``, loads aiogram and is
imported only when it is used.
"""

from botkit_telegram.settings import TelegramSettings
from botkit_telegram.spec import TelegramSpec

__all__ = ["TelegramSettings", "TelegramSpec"]
