"""The ``discord`` entry of ``botkit.adapters``: build, check (doctor) and sync (commands).

Light to import: discord.py is loaded only when the adapter is created, checked or synced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit.adapter import AdapterSetup, AdapterStartError, Command, Problem
from botkit_discord.settings import DiscordSettings

if TYPE_CHECKING:
    from botkit_discord.client import DiscordAdapter

TOKEN_ENV = "DISCORD_TOKEN"


class DiscordSpec:
    """Discord through discord.py: chosen by default when ``DISCORD_TOKEN`` is set."""

    name = "discord"
    settings = DiscordSettings
    token_env = TOKEN_ENV

    def create(self, setup: AdapterSetup) -> DiscordAdapter:
        from botkit_discord.client import DiscordAdapter

        return DiscordAdapter(
            setup.require_token(self.token_env), setup.settings, setup.config.storage.url
        )

    async def check(self, setup: AdapterSetup) -> list[Problem]:
        """Voice libraries, ffmpeg and intents, then a real HTTP-only login with the token."""
        from botkit_discord.doctor import discord_health, discord_login_problems

        problems = discord_health(setup.settings, setup.config.storage.url)
        if setup.token:
            problems += await discord_login_problems(setup.token, setup.settings)
        return problems

    async def sync(self, setup: AdapterSetup, commands: list[Command]) -> str:
        """Log in over HTTP and register the commands as slash commands."""
        from botkit_discord.doctor import sync_summary

        if not setup.token:
            raise AdapterStartError("DISCORD_TOKEN is not set; export it first")
        return await sync_summary(setup.token, setup.settings or DiscordSettings(), commands)


adapter = DiscordSpec()
