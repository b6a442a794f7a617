"""What each hook must return; anything else is a failure of the plugin that returned it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from botkit.commands import Command
from botkit.health import Problem
from botkit.models import Audio, File, Reply


def _list_of(kind: type | tuple[type, ...], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, list | tuple):
            return f"{_describe(value)} where a list of {what} was expected"
        bad = next((v for v in value if not isinstance(v, kind)), _NONE)
        return "" if bad is _NONE else f"a list holding {_describe(bad)}, not only {what}"

    return check


def _one_of(kinds: tuple[type, ...], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if isinstance(value, bool) and bool not in kinds:
            return f"{_describe(value)} where {what} was expected"
        return "" if isinstance(value, kinds) else f"{_describe(value)} where {what} was expected"

    return check


def _counts(value: Any) -> str:
    if not isinstance(value, dict):
        return f"{_describe(value)} where a dict of counts was expected"
    for key, count in value.items():
        if not isinstance(key, str) or isinstance(count, bool) or not isinstance(count, int):
            return f"a dict with {key!r}: {_describe(count)}, not only names to whole numbers"
    return ""


def _settings_class(value: Any) -> str:
    if not (isinstance(value, type) and attrs.has(value)):
        return f"{_describe(value)} where an attrs class was expected"
    try:
        value()
    except Exception as exc:
        return f"a settings class that cannot be built from its defaults ({exc})"
    return ""


def _metadata(value: Any) -> str:
    from sqlalchemy import MetaData

    return "" if isinstance(value, MetaData) else f"{_describe(value)} where MetaData was expected"


def _directory(value: Any) -> str:
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


def _answer(kinds: tuple[type, ...], what: str) -> Callable[[Any], str]:
    """One of ``kinds``, a ``Reply`` among them checked field by field."""
    first = _one_of(kinds, what)
    return lambda value: first(value) or _reply(value)


def _audio(value: Any) -> str:
    if not isinstance(value, Audio):
        return f"{_describe(value)} where a botkit.Audio was expected"
    if not isinstance(value.path, str | Path):
        return f"an Audio whose path is {_describe(value.path)}, not a path"
    return ""


def _anything(value: Any) -> str:
    return ""


def _deleted(value: Any) -> str:
    if isinstance(value, list | tuple):
        return _list_of(str, "lines")(value)
    return _one_of((int,), "a whole number or a list of lines")(value)


REGISTRATION: dict[str, Callable[[Any], str]] = {
    "botkit_commands": _list_of(Command, "Command objects (botkit.command(...))"),
    "botkit_settings": _settings_class,
    "botkit_tables": _metadata,
    "botkit_migrations": _directory,
}

RUNTIME: dict[str, Callable[[Any], str]] = {
    "botkit_startup": _anything,
    "botkit_shutdown": _anything,
    "botkit_message_received": _anything,
    "botkit_reaction": _anything,
    "botkit_knowledge": _list_of(str, "strings"),
    "botkit_training_examples": _list_of(dict, "dicts"),
    "botkit_user_data": _counts,
    "botkit_delete_user_data": _deleted,
    "botkit_models": _list_of(str, "model names"),
    "botkit_health": _list_of(Problem, "botkit.Problem objects"),
    "botkit_transcribe": _one_of((str,), "a string"),
    "botkit_respond": _answer((Reply, str), "a Reply or a string"),
    "botkit_synthesize": _audio,
    "botkit_deliver": _answer((Reply, bool), "True or a Reply"),
    "command": _answer((Reply, str), "a Reply or a string"),  # what a command callback returns
}


def check_registration(hook: str, value: Any) -> str:
    """ "" when ``value`` is what registration hook ``hook`` must return, else what is wrong."""
    return REGISTRATION.get(hook, _anything)(value)


def check_result(hook: str, value: Any) -> str:
    """ "" when ``value`` (not None) fits runtime hook ``hook``, else what is wrong."""
    return "" if value is None else RUNTIME.get(hook, _anything)(value)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '…' if len(text) > 60 else text}"


_NONE = object()
