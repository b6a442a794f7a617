"""``botkit doctor`` and ``botkit sync`` for Telegram: one HTTP session each, no polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram.methods import GetMe, GetWebhookInfo

from botkit.adapter import AdapterStartError, Command, Problem
from botkit_telegram.adapter import TOKEN_HELP, TelegramStartError, login, set_commands
from botkit_telegram.api import Caller, Redactor, TelegramError, make_bot, valid_token
from botkit_telegram.names import CommandNames
from botkit_telegram.settings import TelegramSettings


@asynccontextmanager
async def _caller(settings: TelegramSettings, token: str) -> AsyncIterator[Caller]:
    if not valid_token(token):
        raise TelegramStartError(
            f"TELEGRAM_TOKEN is not a bot token (digits:letters); {TOKEN_HELP}"
        )
    client = make_bot(token, settings.base_url)
    try:
        yield Caller(client, Redactor(token), max_retry_after=settings.max_retry_after)
    finally:
        await client.session.close()


async def problems(settings: TelegramSettings, token: str) -> list[Problem]:
    """A token Telegram rejects is an error; a Bot API that cannot be reached is a warning
    that says so (no verdict on the token), as for Discord."""
    if not valid_token(token):
        return [Problem("telegram: TELEGRAM_TOKEN is not a bot token (digits:letters)", TOKEN_HELP)]
    async with _caller(settings, token) as call:
        try:
            async with asyncio.timeout(settings.connect_timeout):
                me = await call(GetMe(), request_timeout=int(settings.connect_timeout))
        except TimeoutError:
            return [_unreachable(settings, f"no answer within {settings.connect_timeout:g} s")]
        except TelegramError as exc:
            if exc.kind == "unauthorized":
                return [Problem("telegram: Telegram rejected TELEGRAM_TOKEN", TOKEN_HELP)]
            return [_unreachable(settings, str(exc))]
        found = []
        if settings.webhook:
            found += await _webhook_problems(call, settings)
    if not me.can_read_all_group_messages:
        found.append(
            Problem(
                "telegram: privacy mode is on: in groups the bot sees only commands, mentions "
                "and replies to its messages",
                "fine for most bots; to let it see every group message, @BotFather -> "
                "/setprivacy -> Disable (then re-add the bot to the group), or make it an admin",
                "warning",
            )
        )
    return found


async def _webhook_problems(call: Caller, settings: TelegramSettings) -> list[Problem]:
    try:
        info = await call(GetWebhookInfo(), request_timeout=int(settings.connect_timeout))
    except TelegramError as exc:
        return [
            Problem(
                f"telegram: getWebhookInfo failed: {exc}", "check [telegram] base_url", "warning"
            )
        ]
    if info.last_error_message:
        reason = call.redact(info.last_error_message)
        where = f"{settings.webhook_url} reaches this bot on port {settings.webhook_port}"
        return [
            Problem(
                f"telegram: Telegram's last webhook delivery failed: {reason}",
                f"check that {where}",
                "warning",
            )
        ]
    return []


def _unreachable(settings: TelegramSettings, reason: str) -> Problem:
    return Problem(
        f"telegram: Telegram could not be reached at {settings.base_url} ({reason}), so "
        "TELEGRAM_TOKEN was not checked",
        "check the network and [telegram] base_url",
        "warning",
    )


async def sync_commands(settings: TelegramSettings, token: str, commands: list[Command]) -> str:
    if not token:
        raise AdapterStartError("TELEGRAM_TOKEN is not set; export it first")
    names = CommandNames.of(commands)
    async with _caller(settings, token) as call:
        me = await login(call, settings)
        try:
            await call(set_commands(names), request_timeout=int(settings.connect_timeout))
        except TelegramError as exc:
            raise TelegramStartError(f"Telegram refused setMyCommands: {exc}") from None
    listed = ", ".join("/" + c.command for c in names.listed)
    return f"registered {len(names.listed)} command(s) for @{me.username}: {listed}"
