"""File sizes: settings in megabytes, messages in KB or MB."""

from __future__ import annotations

MB = 2**20


def megabytes(value: float) -> int:
    """A size setting in MB, as bytes."""
    return int(value * MB)


def human(size: int) -> str:
    """``size`` bytes as ``12 KB`` or ``3.4 MB``."""
    if size < MB:
        return f"{max(1, round(size / 1024)) if size else 0} KB"
    return f"{size / MB:.1f} MB"
