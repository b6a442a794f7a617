"""Splitting long replies at a platform's limit without breaking code blocks."""

from __future__ import annotations

FENCE = "```"
_MAX_FENCE_HEADER = 24


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters.

    Breaks at line ends where it can; a code block cut in two is closed at the end of one
    chunk and reopened, with its language tag, at the start of the next.
    """
    if len(text) <= limit:
        return [text] if text else []
    budget = max(limit - 2 * _MAX_FENCE_HEADER, 1)  # room to close and reopen a fence
    chunks: list[str] = []
    current = ""
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        for piece in _wrap(line, budget):
            if current and len(current) + len(piece) > budget:
                chunks.append(current.rstrip("\n") + ("\n" + FENCE if fence else ""))
                current = fence + "\n" if fence else ""
            current += piece
            stripped = piece.strip()
            if stripped.startswith(FENCE):
                fence = None if fence else stripped[:_MAX_FENCE_HEADER]
    if current.strip():
        chunks.append(current.rstrip("\n"))
    return chunks


def _wrap(line: str, width: int) -> list[str]:
    """Cut a line longer than ``width``, at a space where there is one."""
    pieces = []
    while len(line) > width:
        cut = line.rfind(" ", width // 2, width)
        cut = cut + 1 if cut > 0 else width
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (which no platform can encode) replaced by U+FFFD, and
    NUL characters (which PostgreSQL refuses in text) removed."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
