"""Short, specific replies for failed API calls, and log lines that never hold the key."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import openai

log = logging.getLogger("botkit.openai_chat")


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` masked."""
    return text.replace(secret, "[redacted]") if secret else text


def host_of(base_url: str) -> str:
    """The host part of the API root (never its credentials or path)."""
    if not base_url:
        return "api.openai.com"
    return urlsplit(base_url).hostname or "the API server"


def timed_out(seconds: float) -> str:
    return f"The AI service did not answer within {seconds:g} s. Please try again."


def refused(exc: BaseException) -> bool:
    """Whether a connection failure lies behind ``exc``: the aiohttp transport reports a
    refused connection as a time-out, with the socket error as its cause."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return True
        cause = cause.__cause__
    return False


def describe(
    exc: openai.APIError, *, model: str, base_url: str, key_env: str, timeout: float, prefix: str
) -> str:
    """What the user is told after the openai client gave up (its retries are done)."""
    if isinstance(exc, openai.APITimeoutError) and not refused(exc):
        return timed_out(timeout)
    if isinstance(exc, openai.APIConnectionError):
        return f"I cannot reach the AI service at {host_of(base_url)} right now. Try again later."
    if isinstance(exc, openai.AuthenticationError):
        return (
            f"The AI service rejected the bot's API key (401). The bot's owner must check "
            f"{key_env}."
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return f"The bot's API key may not use `{model}` (403). Admins can switch: {prefix}model."
    if isinstance(exc, openai.NotFoundError):
        return (
            f"The AI service has no model `{model}` (404). Admins can pick another: {prefix}model."
        )
    if isinstance(exc, openai.RateLimitError):
        if getattr(exc, "code", None) == "insufficient_quota":
            return "The bot's AI account is out of credit (429). Please tell the bot's owner."
        return "The AI service is rate-limiting the bot (429). Please try again in a minute."
    if isinstance(exc, openai.InternalServerError):
        return f"The AI service had an internal error ({exc.status_code}). Please try again soon."
    if isinstance(exc, openai.BadRequestError) and getattr(exc, "code", None) == (
        "context_length_exceeded"
    ):
        return f"This conversation is too long for the model. Start afresh with {prefix}reset."
    if isinstance(exc, openai.APIStatusError):
        return (
            f"The AI service refused the request ({exc.status_code}). The details are in the log."
        )
    return "The AI service sent an answer I could not read. The details are in the log."


def log_failure(exc: openai.APIError, *, model: str, key: str | None) -> None:
    """One warning line: the error class and the server's message, without the key."""
    log.warning(
        "chat request to model %s failed: %s: %s",
        model,
        type(exc).__name__,
        redact(exc.message, key),
    )
