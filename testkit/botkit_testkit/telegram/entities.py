"""What the Bot API does with ``parse_mode=HTML``: the visible text, or why it is refused."""

from __future__ import annotations

import html
import re

# the tags and attributes https://core.telegram.org/bots/api#html-style lists
ALLOWED = {
    "b": (),
    "strong": (),
    "i": (),
    "em": (),
    "u": (),
    "ins": (),
    "s": (),
    "strike": (),
    "del": (),
    "span": ("class",),
    "tg-spoiler": (),
    "a": ("href",),
    "code": ("class",),
    "pre": (),
    "blockquote": ("expandable",),
    "tg-emoji": ("emoji-id",),
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"]*\"|='[^']*')?)*)\s*>")
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


class EntityError(ValueError):
    """The text's formatting cannot be parsed (Telegram: "can't parse entities")."""


def parse_html(text: str) -> str:
    """The visible text of a Telegram-HTML message; EntityError as the Bot API would refuse."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            if match is None:
                raise EntityError(f'Unsupported start tag "" at byte offset {_offset(text, i)}')
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if name not in ALLOWED:
                raise EntityError(
                    f'Unsupported start tag "{name}" at byte offset {_offset(text, i)}'
                )
            if closing:
                if not stack or stack[-1] != name:
                    expected = f'"</{stack[-1]}>"' if stack else "no end tag"
                    raise EntityError(
                        f"Unmatched end tag at byte offset {_offset(text, i)}, expected "
                        f'{expected}, found "</{name}>"'
                    )
                stack.pop()
            else:
                _check_attributes(name, attributes, text, i)
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise EntityError(f"Character entity expected at byte offset {_offset(text, i)}")
            out.append(html.unescape(match.group(0)))
            i = match.end()
        elif char == ">":
            raise EntityError(f"Unexpected end tag at byte offset {_offset(text, i)}")
        else:
            out.append(char)
            i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _check_attributes(name: str, attributes: str, text: str, at: int) -> None:
    for match in _ATTRIBUTE.finditer(attributes):
        attribute = match.group(1).lower()
        if attribute not in ALLOWED[name]:
            continue  # Telegram ignores unknown attributes
        value = match.group(2) if match.group(2) is not None else match.group(3) or ""
        if name == "a" and not re.match(r"(https?|tg)://", html.unescape(value)):
            raise EntityError(f"Wrong HTTP URL at byte offset {_offset(text, at)}")


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode())
