"""Remote errors reduced to a short reason with anything that looks like a credential masked."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from botkit_trainer.providers.base import ProviderError

MASK = "****"
REASON_CHARS = 200
MIN_SECRET_CHARS = 4
CREDENTIAL = re.compile(
    r"\bBearer\s+[^\s,;\"']+"
    r"|\b(?:sk|pk|rk|fw|tgp|key|tok)[-_][A-Za-z0-9_\-]{6,}"
    r"|(?i:\b(?:api[_-]?key|token|secret|password|authorization)\b)([\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;}]+"
)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every value of ``secrets`` and every credential-like word masked."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return CREDENTIAL.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    separator = match.group(1)
    if separator is None:
        return MASK
    return match.group(0)[: match.start(1) - match.start(0)] + separator + MASK


def short(text: str, limit: int = REASON_CHARS) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reason(text: str, secrets: Iterable[str] = ()) -> str:
    """A remote message fit for a reply or a log line: masked, then shortened."""
    return short(mask(text, secrets))


def body_message(body: Any) -> str | None:
    """The ``message`` of an error body (``{"error": {"message": ...}}`` or flat, or its text)."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return body.strip() or None
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = inner.get("message")
            return str(message) if message else None
        if isinstance(inner, str):
            return inner
    return None


def body_code(body: Any) -> str | None:
    """The ``code`` of an error body (``{"error": {"code": ...}}`` or flat), if any."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        code = inner.get("code") if isinstance(inner, dict) else None
        return str(code) if code else None
    return None


def sdk_failure(
    exc: Exception, sdk: ModuleType, label: str, secrets: Iterable[str]
) -> ProviderError:
    """A Stainless-generated SDK's exception (OpenAI, Together and Fireworks all use them) as a
    :class:`ProviderError` naming the status and the service's short reason."""
    if isinstance(exc, sdk.APIStatusError):
        message = body_message(exc.body) or exc.message
        text = f"{label} answered {exc.status_code}: {reason(message, secrets)}"
        return ProviderError(text, exc.status_code, body_code(exc.body))
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderError(f"{label} did not answer in time")
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderError(f"{label} cannot be reached")
    return ProviderError(f"{label} failed ({type(exc).__name__})")
