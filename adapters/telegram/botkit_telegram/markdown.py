"""Markdown (as plugins write it) to the HTML subset Telegram renders.

Every tag this module opens it closes, properly nested, and everything else is escaped, so
Telegram accepts the result for any input; the visible text is never longer than the input.
"""

from __future__ import annotations

import html
import re

FENCE = "```"
_SPECIAL = re.compile(r"[*_~|`\[#>&<]")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,24}")
_HEADING = re.compile(r"#{1,6}\s+(.*)")
_BULLET = re.compile(r"(\s*)[*+] (?=\S)")
_LINK = re.compile(r"\[([^\[\]\n]+)\]\((https?://[^\s()<>\"]+)\)")
_DELIMITERS = ("**", "__", "~~", "||", "*", "_")
_TAGS = {"**": "b", "__": "u", "~~": "s", "||": "tg-spoiler", "*": "i", "_": "i"}


def to_html(text: str) -> str:
    """The Telegram HTML for a Markdown text (the text itself when nothing is to change)."""
    if _SPECIAL.search(text) is None:
        return text
    out: list[str] = []
    code: list[str] | None = None
    language = ""
    quote: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if code is not None:
            if stripped.startswith(FENCE):
                out.append(_code_block(code, language))
                code = None
            else:
                code.append(line)
            continue
        if stripped.startswith(FENCE):
            _flush_quote(quote, out)
            code, language = [], stripped[len(FENCE) :].strip()
            continue
        if line.startswith(">"):
            quote.append(_line(line[1:].removeprefix(" ")))
            continue
        _flush_quote(quote, out)
        out.append(_line(line))
    if code is not None:
        out.append(_code_block(code, language))
    _flush_quote(quote, out)
    return "\n".join(out)


def _flush_quote(quote: list[str], out: list[str]) -> None:
    if quote:
        out.append("<blockquote>" + "\n".join(quote) + "</blockquote>")
        quote.clear()


def _code_block(lines: list[str], language: str) -> str:
    body = html.escape("\n".join(lines), quote=False)
    if _LANGUAGE.fullmatch(language):
        return f'<pre><code class="language-{language}">{body}</code></pre>'
    return f"<pre>{body}</pre>"


def _line(line: str) -> str:
    heading = _HEADING.fullmatch(line)
    if heading:
        return f"<b>{inline(heading.group(1))}</b>" if heading.group(1).strip() else ""
    bullet = _BULLET.match(line)
    if bullet:
        return bullet.group(1) + "• " + inline(line[bullet.end() :])
    return inline(line)


def inline(text: str) -> str:
    """Inline code, links and emphasis of one line."""
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        tick = text.find("`", pos)
        if tick < 0:
            break
        run = len(text) - tick - len(text[tick:].lstrip("`"))
        ticks = text[tick : tick + run]
        end = text.find(ticks, tick + run)
        if end < 0:
            break
        parts.append(_links(text[pos:tick]))
        body = text[tick + run : end]
        parts.append(
            f"<code>{html.escape(body, quote=False)}</code>" if body.strip() else ticks * 2
        )
        pos = end + run
    parts.append(_links(text[pos:]))
    return "".join(parts)


def _links(text: str) -> str:
    parts: list[str] = []
    pos = 0
    for match in _LINK.finditer(text):
        parts.append(_emphasis(text[pos : match.start()]))
        href = html.escape(match.group(2), quote=True)
        parts.append(f'<a href="{href}">{html.escape(match.group(1), quote=False)}</a>')
        pos = match.end()
    parts.append(_emphasis(text[pos:]))
    return "".join(parts)


def _emphasis(text: str) -> str:
    """Pair emphasis delimiters with a stack; unpaired ones stay literal characters."""
    tokens: list[str] = []
    is_delimiter: list[bool] = []
    i = 0
    while i < len(text):
        found = next((d for d in _DELIMITERS if text.startswith(d, i)), None)
        if found is None:
            j = i + 1
            while j < len(text) and not any(text.startswith(d, j) for d in _DELIMITERS):
                j += 1
            tokens.append(text[i:j])
            is_delimiter.append(False)
            i = j
            continue
        tokens.append(found)
        is_delimiter.append(True)
        i += len(found)
    paired: dict[int, str] = {}
    stack: list[int] = []
    offsets = _offsets(tokens)
    for k, token in enumerate(tokens):
        if not is_delimiter[k]:
            continue
        start = offsets[k]
        before = text[start - 1] if start else " "
        after = text[start + len(token)] if start + len(token) < len(text) else " "
        if stack and tokens[stack[-1]] == token and _can_close(token, before, after):
            opened = stack.pop()
            if k > opened + 1:
                paired[opened] = f"<{_TAGS[token]}>"
                paired[k] = f"</{_TAGS[token]}>"
        elif token not in (tokens[s] for s in stack) and _can_open(token, before, after):
            stack.append(k)
    return "".join(
        paired[k] if k in paired else html.escape(token, quote=False)
        for k, token in enumerate(tokens)
    )


def _offsets(tokens: list[str]) -> list[int]:
    offsets, at = [], 0
    for token in tokens:
        offsets.append(at)
        at += len(token)
    return offsets


def _can_open(token: str, before: str, after: str) -> bool:
    if after.isspace():
        return False
    return not (token[0] == "_" and before.isalnum())


def _can_close(token: str, before: str, after: str) -> bool:
    if before.isspace():
        return False
    return not (token[0] == "_" and after.isalnum())
