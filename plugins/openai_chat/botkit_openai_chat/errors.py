"""Short, specific replies for failed API calls, and log lines that never hold a key."""

from __future__ import annotations

import logging
import re

import openai

import botkit.util
from botkit_openai_chat.settings import host_of

log = logging.getLogger("botkit.openai_chat")

MASK = "[redacted]"
REASON_CHARS = 160
# What looks like a credential: sk-/key-style tokens, bearer values, long random-looking words.
CREDENTIAL = re.compile(
    r"\b(?:sk|pk|rk|key|tok|api)[-_][A-Za-z0-9_\-]{6,}"
    r"|(?i:bearer)\s+\S+"
    r"|\b(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{24,}\b"
)


def redact(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` and anything else that looks like a credential masked (by
    this plugin's patterns, then by the host's, which also knows every remembered secret)."""
    if secret:
        text = text.replace(secret, MASK)
    return botkit.util.redact(CREDENTIAL.sub(MASK, text))


def reason(exc: openai.APIError, secret: str | None) -> str:
    """The error class, the HTTP status and the server's short reason, credentials masked."""
    status = getattr(exc, "status_code", None)
    message = exc.body.get("message") if isinstance(exc.body, dict) else None
    if not isinstance(message, str):
        message = "" if status is not None else exc.message
    text = " ".join(redact(message, secret).split())
    if len(text) > REASON_CHARS:
        text = text[: REASON_CHARS - 1] + "…"
    head = type(exc).__name__ + (f": Error code: {status}" if status is not None else "")
    return f"{head} - {text}" if text else head


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
    """One warning line: the error class, the status and the server's short reason, without
    the key or anything that looks like one."""
    log.warning("chat request to model %s failed: %s", model, reason(exc, key))
