"""The ``discord`` entry of ``botkit.adapters``; discord.py is imported only when it is used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit.adapters.base import AdapterSetup
from botkit.adapters.discord.settings import DiscordSettings

if TYPE_CHECKING:
    from botkit.adapters.discord.client import DiscordAdapter
    from botkit.commands import Command
    from botkit.health import Problem


class DiscordSpec:
    """Discord through discord.py: chosen by default when ``DISCORD_TOKEN`` is set."""

    name = "discord"
    settings = DiscordSettings
    token_env = "DISCORD_TOKEN"

    def create(self, setup: AdapterSetup) -> DiscordAdapter:
        from botkit.adapters.discord.client import DiscordAdapter

        return DiscordAdapter(setup.require_token(self.token_env), setup.settings)

    async def check(self, setup: AdapterSetup) -> list[Problem]:
        """Voice libraries, ffmpeg and intents, then a real HTTP-only login with the token."""
        from botkit.adapters.discord.runner import discord_health, discord_login_problems

        problems = discord_health(setup.settings)
        if setup.token:
            problems += await discord_login_problems(setup.token, setup.settings)
        return problems

    async def sync(self, setup: AdapterSetup, commands: list[Command]) -> str:
        from botkit.adapters.base import AdapterStartError
        from botkit.adapters.discord.runner import sync_summary

        if not setup.token:
            raise AdapterStartError("DISCORD_TOKEN is not set; export it first")
        return await sync_summary(setup.token, setup.settings, commands)


adapter = DiscordSpec()
