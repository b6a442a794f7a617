"""Text from chat and files made safe to store and send, and JSON read within bounds."""

from __future__ import annotations

import json
from typing import Any

from botkit.util import clean_text as clean


def nesting(raw: str) -> int:
    """The deepest ``[``/``{`` nesting of a JSON text, strings skipped (no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class TooBig(ValueError):
    """A JSON payload over the size or depth limit; the message says which."""


def bounded_json(raw: str, *, max_chars: int, max_depth: int) -> Any:
    """``json.loads`` after checking the size and depth limits (raises :class:`TooBig`, or
    ``ValueError`` for invalid JSON); strings come back cleaned."""
    if len(raw) > max_chars:
        raise TooBig(f"That is {len(raw):,} characters of JSON; at most {max_chars:,} are allowed.")
    depth = nesting(raw)
    if depth > max_depth:
        raise TooBig(f"That JSON is nested {depth:,} levels deep; at most {max_depth} are allowed.")
    return cleaned(json.loads(raw))


def cleaned(value: Any) -> Any:
    """A parsed JSON value with every string cleaned (lone surrogates, NUL characters)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [cleaned(v) for v in value]
    if isinstance(value, dict):
        return {clean(k): cleaned(v) for k, v in value.items()}
    return value
