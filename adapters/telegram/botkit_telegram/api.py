"""The aiogram Bot for a Bot API server, and its errors with the token taken out.

The token is part of every Bot API URL, and a server may echo it back: every error leaving
this module is a ``TelegramError`` whose text has been redacted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from aiogram import Bot, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.utils.token import TokenValidationError, validate_token

from botkit.adapter import redact

log = logging.getLogger("botkit.telegram")

T = TypeVar("T")
REDACTED = "***"
USED_METHODS = (
    methods.GetMe,
    methods.GetUpdates,
    methods.SendMessage,
    methods.EditMessageText,
    methods.SendDocument,
    methods.SendVoice,
    methods.SendChatAction,
    methods.SetMyCommands,
    methods.GetChatMember,
    methods.GetFile,
    methods.DeleteWebhook,
    methods.SetWebhook,
    methods.GetWebhookInfo,
)
# aiogram reads every answer through Response[<result type>]; pydantic keeps such generic
# models in a weak cache, so after each garbage collection they would be built again (tens
# of milliseconds each). Holding them here builds each once per process.
_response_models: list[Any] = []


def keep_response_models() -> None:
    if not _response_models:
        _response_models.extend(Response[m.__returning__] for m in USED_METHODS)


class TelegramError(Exception):
    """A Bot API call failed; ``str()`` never holds the token."""

    def __init__(self, text: str, kind: str = "api", status: int = 0) -> None:
        super().__init__(text)
        self.kind = kind  # "api", "network", "unauthorized", "bad_request", "flood"
        self.status = status

    @property
    def unparsable(self) -> bool:
        """Telegram could not parse the formatting (entities) of a text."""
        return self.kind == "bad_request" and "can't parse entities" in str(self).lower()

    @property
    def not_modified(self) -> bool:
        return self.kind == "bad_request" and "message is not modified" in str(self).lower()


class Redactor:
    """Replaces the token (plain or URL-quoted), and whatever else botkit knows to be a
    secret or a credential, with ``***``."""

    def __init__(self, token: str) -> None:
        self.forms = sorted({f for f in (token, quote(token, safe="")) if f}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, REDACTED)
        return redact(text)


def valid_token(token: str) -> bool:
    try:
        validate_token(token)
    except TokenValidationError:
        return False
    return True


def make_bot(token: str, base_url: str) -> Bot:
    """An aiogram Bot whose every request goes to ``base_url`` (official or local server)."""
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))


def translate(exc: BaseException, redact: Redactor) -> TelegramError:
    """Any error of a Bot API call as a redacted TelegramError."""
    text = redact(_first_line(exc))
    if isinstance(exc, TelegramUnauthorizedError):
        return TelegramError(text, "unauthorized", 401)
    if isinstance(exc, TelegramRetryAfter):
        return TelegramError(text, "flood", 429)
    if isinstance(exc, TelegramBadRequest):
        return TelegramError(text, "bad_request", 400)
    if isinstance(exc, TelegramNetworkError | aiohttp.ClientError | OSError | TimeoutError):
        return TelegramError(text or type(exc).__name__, "network")
    return TelegramError(text, "api")


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, TelegramAPIError):
        return exc.message.splitlines()[0] if exc.message else type(exc).__name__
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP {exc.status} {exc.message}"  # its str() holds the URL, token and all
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


class Caller:
    """Calls Bot API methods, honouring flood control (429 retry_after) up to a limit."""

    def __init__(
        self,
        bot: Bot,
        redact: Redactor,
        max_retry_after: float,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.redact = redact
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        keep_response_models()

    async def __call__(self, method: TelegramMethod[T], request_timeout: int | None = None) -> T:
        while True:
            try:
                return await self.bot(method, request_timeout=request_timeout)
            except TelegramRetryAfter as exc:
                if exc.retry_after > self.max_retry_after:
                    raise translate(exc, self.redact) from None
                log.warning(
                    "flood control: %s waits %s s as Telegram asks",
                    method.__api_method__,
                    exc.retry_after,
                )
                await self.sleep(exc.retry_after)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise translate(exc, self.redact) from None

    async def download(self, file_path: str, request_timeout: int = 60) -> bytes:
        try:
            found = await self.bot.download_file(file_path, timeout=request_timeout)
        except Exception as exc:
            raise translate(exc, self.redact) from None
        assert found is not None
        return found.read()
