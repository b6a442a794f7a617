"""The checks of what hooks and commands return (each hook's is declared in hookspecs.py);
anything else is a failure of the plugin that returned it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from botkit.commands import Cooldown
from botkit.models import Audio, File, Reply


@attrs.frozen
class Refusal:
    """Why a command may not run here (what ``botkit_check`` may return instead of a string).

    ``silent``: the user is told nothing (a server whose admins chose silence); the refusal is
    still logged and counted. ``kind``: what it is counted as in ``botkit_commands_refused``
    (a short word, e.g. "rule").
    """

    reason: str
    silent: bool = False
    kind: str = "check"


def list_of(kind: type | tuple[type, ...], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, list | tuple):
            return f"{_describe(value)} where a list of {what} was expected"
        bad = next((v for v in value if not isinstance(v, kind)), _NONE)
        return "" if bad is _NONE else f"a list holding {_describe(bad)}, not only {what}"

    return check


def one_of(kinds: tuple[type, ...], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if isinstance(value, bool) and bool not in kinds:
            return f"{_describe(value)} where {what} was expected"
        return "" if isinstance(value, kinds) else f"{_describe(value)} where {what} was expected"

    return check


def counts(value: Any) -> str:
    if not isinstance(value, dict):
        return f"{_describe(value)} where a dict of counts was expected"
    for key, count in value.items():
        if not isinstance(key, str) or isinstance(count, bool) or not isinstance(count, int):
            return f"a dict with {key!r}: {_describe(count)}, not only names to whole numbers"
    return ""


def settings_class(value: Any) -> str:
    if not (isinstance(value, type) and attrs.has(value)):
        return f"{_describe(value)} where an attrs class was expected"
    try:
        value()
    except Exception as exc:
        return f"a settings class that cannot be built from its defaults ({exc})"
    return ""


def metadata(value: Any) -> str:
    from sqlalchemy import MetaData

    return "" if isinstance(value, MetaData) else f"{_describe(value)} where MetaData was expected"


def directory(value: Any) -> str:
    if not isinstance(value, str | Path):
        return f"{_describe(value)} where a directory path was expected"
    return "" if Path(value).is_dir() else f"{str(value)!r}, which is not a directory"


def _file(value: Any) -> str:
    if not isinstance(value, File):
        return f"{_describe(value)} where a botkit.File was expected"
    if not isinstance(value.filename, str) or not value.filename:
        return f"a File named {_describe(value.filename)}, not a non-empty string"
    if value.data is not None and not isinstance(value.data, bytes | bytearray):
        return f"a File whose data is {_describe(value.data)}, not bytes"
    if value.path is not None and not isinstance(value.path, str | Path):
        return f"a File whose path is {_describe(value.path)}, not a path"
    if value.data is None and value.path is None:
        return f"a File {value.filename!r} with neither data nor path"
    return ""


def _reply(value: Any) -> str:
    """A ``Reply`` whose every field has the type the adapters rely on."""
    if not isinstance(value, Reply):
        return ""
    if not isinstance(value.text, str):
        return f"a Reply whose text is {_describe(value.text)}, not a string"
    if not isinstance(value.files, tuple | list):
        return f"a Reply whose files are {_describe(value.files)}, not a tuple of Files"
    bad = next((problem for f in value.files if (problem := _file(f))), "")
    if bad:
        return f"a Reply holding {bad}"
    if value.stream is not None and not hasattr(value.stream, "__aiter__"):
        return f"a Reply whose stream is {_describe(value.stream)}, not an async iterator"
    return ""


def answer(kinds: tuple[type, ...], what: str) -> Callable[[Any], str]:
    """One of ``kinds``, a ``Reply`` among them checked field by field."""
    first = one_of(kinds, what)
    return lambda value: first(value) or _reply(value)


def audio(value: Any) -> str:
    if not isinstance(value, Audio):
        return f"{_describe(value)} where a botkit.Audio was expected"
    if not isinstance(value.path, str | Path):
        return f"an Audio whose path is {_describe(value.path)}, not a path"
    return ""


def refusal(value: Any) -> str:
    """A reason, or a :class:`Refusal` with a text reason and a short word as its kind."""
    if isinstance(value, Refusal):
        if not isinstance(value.reason, str) or not value.reason:
            return f"a Refusal whose reason is {_describe(value.reason)}, not a non-empty string"
        if not isinstance(value.kind, str) or not _KIND.fullmatch(value.kind):
            return f"a Refusal whose kind is {_describe(value.kind)}, not a short lowercase word"
        return ""
    return one_of((str,), "a reason or a botkit.Refusal")(value)


def cooldown(value: Any) -> str:
    """A ``Cooldown``, or False for none."""
    if value is False or isinstance(value, Cooldown):
        return ""
    return f"{_describe(value)} where a botkit.Cooldown or False was expected"


def anything(value: Any) -> str:
    return ""


def deleted(value: Any) -> str:
    if isinstance(value, list | tuple):
        return list_of(str, "lines")(value)
    return one_of((int,), "a whole number or a list of lines")(value)


def check_command(value: Any) -> str:
    """ "" when ``value`` (not None) is what a command callback may return, else what is wrong."""
    return "" if value is None else _command(value)


_command = answer((Reply, str), "a Reply or a string")


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '…' if len(text) > 60 else text}"


_NONE = object()
_KIND = re.compile(r"[a-z][a-z_]{0,30}")
