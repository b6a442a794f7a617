"""Problems that ``botkit doctor`` reports."""

from __future__ import annotations

import attrs


@attrs.frozen
class Problem:
    """Something missing or wrong, and how to fix it."""

    message: str
    fix: str = ""
    severity: str = "error"  # error, warning, or info (shown by doctor, never counted)
