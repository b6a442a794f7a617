"""Chat text made fit to be read aloud: no Markdown, no links, and not too long."""

from __future__ import annotations

import re

CUT_NOTE = "… The rest is in the chat."

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>")
_EMOJI = re.compile(r"<a?:(\w+):\d+>")
_MARKUP = re.compile(r"[*_~`|>#]+")


def speakable(text: str) -> str:
    """``text`` without Markdown, code blocks, URLs and Discord mentions."""
    text = _CODE_BLOCK.sub(" (code in the chat) ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("a link", text)
    text = _MENTION.sub("", text)
    text = _EMOJI.sub(r"\1", text)
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split())


def cut(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut at a word boundary to at most ``limit`` characters plus a note.

    Returns the text and whether it was cut.
    """
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return f"{head.rstrip(' ,;:')} {CUT_NOTE}", True
