"""The ``telegram`` entry of ``botkit.adapters``: build, check (doctor) and sync (commands).

Light to import: aiogram is loaded only when the adapter is created, checked or synced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit.adapter import Command, Problem
from botkit_telegram.settings import TelegramSettings

if TYPE_CHECKING:
    from botkit.adapter import AdapterSetup
    from botkit_telegram.adapter import TelegramAdapter

TOKEN_ENV = "TELEGRAM_TOKEN"


class TelegramSpec:
    """``botkit run --adapter telegram``; chosen by default when TELEGRAM_TOKEN is set."""

    name = "telegram"
    settings = TelegramSettings
    token_env = TOKEN_ENV

    def create(self, setup: AdapterSetup) -> TelegramAdapter:
        from botkit_telegram.adapter import TelegramAdapter

        return TelegramAdapter(setup.settings or TelegramSettings(), setup.require_token(TOKEN_ENV))

    async def check(self, setup: AdapterSetup) -> list[Problem]:
        """getMe with the token (and getWebhookInfo in webhook mode)."""
        from botkit_telegram.doctor import problems

        if not setup.token:
            return []
        return await problems(setup.settings or TelegramSettings(), setup.token)

    async def sync(self, setup: AdapterSetup, commands: list[Command]) -> str:
        """setMyCommands with every command, names mapped to Telegram's rules."""
        from botkit_telegram.doctor import sync_commands

        return await sync_commands(setup.settings or TelegramSettings(), setup.token, commands)


adapter = TelegramSpec()
