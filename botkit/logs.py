"""Logging set-up that keeps secrets out of every line, tracebacks included."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable
from typing import Any

import attrs

SECRET_NAME = re.compile(r"(TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$")
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def secrets_from_env(config: Any = None) -> list[str]:
    """Values of environment variables whose names say they are secrets, and of every
    variable a configuration key ending in ``_env`` names (``api_key_env = "LLM_KEY"``)."""
    names = {k for k in os.environ if SECRET_NAME.search(k.upper())}
    if config is not None:
        names |= set(_named_variables(config.raw))
    values = (os.environ.get(name, "") for name in names)
    return [v for v in values if len(v) >= 6]


def remember_key_variables(config: Any = None, settings: Iterable[Any] = ()) -> None:
    """Mask from now on the values of the variables named by every ``*_env`` key of the
    configuration file and every ``*_env`` field of the plugins' settings (their defaults
    included), and of every variable whose name says it is a secret."""
    for value in secrets_from_env(config):
        remember_secret(value)
    for item in settings:
        if not attrs.has(type(item)):
            continue
        for field in attrs.fields(type(item)):
            name = getattr(item, field.name)
            if field.name.endswith("_env") and isinstance(name, str) and name:
                remember_secret(os.environ.get(name, ""))


def _named_variables(table: Any) -> list[str]:
    found = []
    if isinstance(table, dict):
        for key, value in table.items():
            if isinstance(value, str) and str(key).endswith("_env"):
                found.append(value)
            else:
                found += _named_variables(value)
    return found


CREDENTIAL = re.compile(
    r"(?i)bearer\s+\S{8,}"  # an Authorization header
    r"|\bsk-[\w-]{8,}"  # OpenAI-style keys
    r"|\bfw_\w{16,}"  # Fireworks keys
    r"|(?<!\d)\d{6,12}:[\w-]{30,}"  # Telegram bot tokens, also inside /bot<token>/ URLs
    r"|\b[\w-]{24,}\.[\w-]{6,}\.[\w-]{20,}"  # Discord bot tokens
    r"|\b[\w-]*(?:key|token|secret|password)[\w-]*\s*[=:]\s*[\"']?[^\s\"',]{6,}"
    r"|\b[a-f0-9]{40,}\b"  # long hex keys (Together)
)
_known: set[str] = set()


def remember_secret(value: str) -> None:
    """Mask ``value`` wherever :func:`redact` or a log line meets it from now on."""
    if len(value) >= 6:
        _known.add(value)


def redact(text: str) -> str:
    """``text`` with every known secret and anything that looks like a credential (API keys,
    bot tokens, bearer headers) replaced by ``***``: for error text from remote services."""
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, "***")
    return CREDENTIAL.sub("***", text)


class RedactingFormatter(logging.Formatter):
    """Replaces every known secret value with ``***`` in the formatted line: those given,
    and those remembered (:func:`remember_secret`) before or after the formatter was made."""

    def __init__(self, secrets: Iterable[str] = (), fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = {s for s in secrets if len(s) >= 6}

    def format(self, record: logging.LogRecord) -> str:
        try:
            text = super().format(record)
        except Exception:  # a bad format string: logging would print the raw arguments
            text = f"{record.levelname} {record.name}: unformattable log message {record.msg!r}"
        for secret in sorted(self.secrets | _known, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def setup_logging(level: str = "INFO", config: Any = None) -> None:
    """Log to stderr at ``level``, secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    for secret in secrets_from_env(config):
        remember_secret(secret)
    handler.setFormatter(RedactingFormatter(sorted(_known)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]+@")
_KEY_PARAMETER = re.compile(
    r"(?i)([?&][\w.-]*(?:key|token|secret|password|passwd|sig|signature)[\w.-]*=)[^&#\s'\"]+"
)


def mask_credentials(text: str) -> str:
    """``text`` with passwords inside URLs (``user:***@``), key-like query parameters
    (``?api-key=***``) and everything :func:`redact` masks hidden."""
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    return redact(_KEY_PARAMETER.sub(r"\1***", text))
