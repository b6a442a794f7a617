"""Logging set-up that keeps secrets out of every line, tracebacks included."""

from __future__ import annotations

import logging
import os
import re
import sys

SECRET_NAME = re.compile(r"(TOKEN|API_KEY|SECRET|PASSWORD)$")
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def secrets_from_env() -> list[str]:
    """Values of environment variables whose names say they are secrets."""
    return [v for k, v in os.environ.items() if SECRET_NAME.search(k.upper()) and len(v) >= 6]


class RedactingFormatter(logging.Formatter):
    """Replaces every known secret value with ``***`` in the formatted line."""

    def __init__(self, secrets: list[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        try:
            text = super().format(record)
        except Exception:  # a bad format string: logging would print the raw arguments
            text = f"{record.levelname} {record.name}: unformattable log message {record.msg!r}"
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr at ``level``, secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets_from_env()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
