"""The pytest plugin of the test kit: every fixture of its modules, registered once."""

from botkit_testkit.discord import discord_harness
from botkit_testkit.postgres import postgres_server, postgres_url, storage_url
from botkit_testkit.telegram.fixtures import telegram_api, telegram_harness

__all__ = [
    "discord_harness",
    "postgres_server",
    "postgres_url",
    "storage_url",
    "telegram_api",
    "telegram_harness",
]
