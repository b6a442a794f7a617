"""Commands: definitions derived from annotated callbacks, and argument parsing."""

from __future__ import annotations

import difflib
import enum
import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import attrs

from botkit.models import Attachment, Message, Reply, User

Callback = Callable[..., Awaitable[Reply | str | None]]

_TRUE = {"true", "yes", "y", "1", "on", "positive", "+"}
_FALSE = {"false", "no", "n", "0", "off", "negative", "-"}


class Permission(enum.IntEnum):
    """Who may run a command."""

    EVERYONE = 0
    ADMIN = 1
    OWNER = 2


class Bucket(enum.StrEnum):
    """Whose uses of a command count together."""

    USER = "user"
    CHANNEL = "channel"
    SERVER = "server"


def _bucket(what: str) -> Any:
    def convert(value: str | Bucket) -> Bucket:
        try:
            return Bucket(value)
        except ValueError:
            names = ", ".join(b.value for b in Bucket)
            raise ValueError(f"{what} counts per {names}, not {value!r}") from None

    return convert


@attrs.frozen
class Cooldown:
    """At most ``rate`` uses per ``per`` seconds, counted per user, channel or server."""

    rate: int
    per: float
    bucket: Bucket = attrs.field(default=Bucket.USER, converter=_bucket("a cooldown"))

    def __attrs_post_init__(self) -> None:
        if self.rate < 1 or self.per <= 0:
            raise ValueError("a cooldown needs at least 1 use per a positive number of seconds")

    def __str__(self) -> str:
        return f"{self.rate}/{self.per:g}s per {self.bucket}"


@attrs.frozen
class Concurrency:
    """At most ``limit`` runs of a command at once, counted per user, channel or server."""

    limit: int
    bucket: Bucket = attrs.field(default=Bucket.USER, converter=_bucket("a concurrency limit"))

    def __attrs_post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("a concurrency limit needs at least 1 run at once")


def allowed(user: User, permission: Permission) -> bool:
    """Whether ``user`` has ``permission`` (everyone, server admin, bot owner)."""
    if permission is Permission.OWNER:
        return user.is_owner
    if permission is Permission.ADMIN:
        return user.is_admin or user.is_owner
    return True


def permission_refusal(permission: Permission, user: User) -> str:
    """Why ``user`` lacks ``permission`` ("" when they have it)."""
    if allowed(user, permission):
        return ""
    if permission is Permission.OWNER:
        return "Only the bot's owner can use this command."
    return "Only server admins (Manage Server) can use this command."


class UsageError(Exception):
    """The arguments do not fit the command; the message says why."""


@attrs.frozen
class Parameter:
    """One argument of a command."""

    name: str
    type: type  # str, int, float, bool or Attachment
    required: bool = True
    default: Any = None
    rest: bool = False  # keyword-only: takes the rest of the line
    help: str = ""

    def usage(self) -> str:
        label = self.name + ("…" if self.rest else "")
        if self.type is Attachment:
            label = f"{self.name}: attachment"
        return f"<{label}>" if self.required else f"[{label}]"


@attrs.frozen
class Command:
    """A command a plugin offers: ``!name args`` and, on Discord, ``/name``."""

    name: str
    callback: Callback = attrs.field(repr=False)
    help: str = ""
    aliases: tuple[str, ...] = ()
    permission: Permission = Permission.EVERYONE
    parameters: tuple[Parameter, ...] = ()
    plugin: str = ""
    cooldown: Cooldown | None = None
    concurrency: Concurrency | None = None
    tool: bool = False  # the assistant may run it (botkit/tools.py)
    confirm: bool = False  # as a tool, only after the asker approves each call

    def usage(self, prefix: str = "!") -> str:
        return " ".join([prefix + self.name, *(p.usage() for p in self.parameters)])


def command(
    callback: Callback,
    *,
    name: str | None = None,
    help: str | None = None,
    aliases: Iterable[str] = (),
    permission: Permission = Permission.EVERYONE,
    param_help: dict[str, str] | None = None,
    cooldown: Cooldown | None = None,
    concurrency: Concurrency | None = None,
    tool: bool = False,
    confirm: bool = False,
) -> Command:
    """Build a :class:`Command` from an ``async def cb(ctx, ...)`` with annotated parameters.

    Positional parameters take one word (quotes group words); a keyword-only parameter
    (after ``*``) takes the rest of the line; an ``Attachment`` parameter takes an attached
    file; a parameter with a default is optional. ``cooldown`` is the default limit on how
    often it may run (server owners change it with ``!rules cooldown``); ``concurrency`` on
    how many runs may be under way at once. ``tool=True`` offers it to the assistant as a
    tool (its JSON schema made from the same signature and ``param_help``), ``confirm=True``
    only after the asker approves each call.
    """
    if not inspect.iscoroutinefunction(callback):
        raise TypeError(f"command callback {callback.__qualname__} must be async def")
    doc = inspect.getdoc(callback) or ""
    return Command(
        name=(name or callback.__name__).lower(),
        callback=callback,
        help=help if help is not None else doc.split("\n\n")[0].replace("\n", " "),
        aliases=tuple(a.lower() for a in aliases),
        permission=permission,
        parameters=_parameters(callback, param_help or {}),
        cooldown=cooldown,
        concurrency=concurrency,
        tool=tool or confirm,
        confirm=confirm,
    )


def _parameters(callback: Callback, param_help: dict[str, str]) -> tuple[Parameter, ...]:
    hints = typing.get_type_hints(callback)
    params = list(inspect.signature(callback).parameters.values())[1:]  # skip ctx
    result = []
    for p in params:
        kind, optional = _unwrap(hints.get(p.name, str))
        if kind not in (str, int, float, bool, Attachment):
            raise TypeError(f"{callback.__qualname__}: parameter {p.name!r} has type {kind!r}")
        has_default = p.default is not inspect.Parameter.empty
        result.append(
            Parameter(
                name=p.name,
                type=kind,
                required=not (has_default or optional),
                default=p.default if has_default else None,
                rest=p.kind is inspect.Parameter.KEYWORD_ONLY,
                help=param_help.get(p.name, ""),
            )
        )
    return tuple(result)


def _unwrap(annotation: Any) -> tuple[type, bool]:
    """``int | None`` -> (int, True)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False


def tokenize(text: str, limit: int | None = None) -> list[tuple[str, int]]:
    """Split on whitespace, honouring double and single quotes; return (word, end offset).

    With ``limit``, stop after that many words (the rest of the line is left as typed).
    """
    words: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n and (limit is None or len(words) < limit):
        if text[i].isspace():
            i += 1
            continue
        if text[i] in "\"'":
            quote, start = text[i], i + 1
            end = text.find(quote, start)
            if end < 0:
                raise UsageError(f"unclosed quote {quote} in the arguments")
            words.append((text[start:end], end + 1))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace():
            i += 1
        words.append((text[start:i], i))
    return words


def split_words(text: str) -> list[str]:
    """``text`` in words as a command reads its arguments: split on whitespace, quotes group
    words. ValueError (saying which quote) when a quote is not closed."""
    try:
        return [word for word, _ in tokenize(text)]
    except UsageError as exc:
        raise ValueError(str(exc)) from None


def convert(param: Parameter, word: str) -> Any:
    """Turn one word into the parameter's type, or raise UsageError."""
    if param.type is bool:
        if word.lower() in _TRUE:
            return True
        if word.lower() in _FALSE:
            return False
        raise UsageError(f"{param.name} must be yes or no, not {word!r}")
    try:
        return param.type(word)
    except ValueError:
        kind = {int: "a whole number", float: "a number"}.get(param.type, param.type.__name__)
        raise UsageError(f"{param.name} must be {kind}, not {word!r}") from None


def bind(cmd: Command, args: str, message: Message) -> dict[str, Any]:
    """Match the text after the command name (and the attachments) to its parameters."""
    word_params = [p for p in cmd.parameters if p.type is not Attachment]
    rest_at = next((i for i, p in enumerate(word_params) if p.rest), None)
    words = tokenize(args, rest_at)
    attachments = list(message.attachments)
    values: dict[str, Any] = {}
    used = 0
    for param in cmd.parameters:
        if param.type is Attachment:
            if attachments:
                values[param.name] = attachments.pop(0)
            elif param.required:
                raise UsageError(f"attach a file for {param.name}")
            else:
                values[param.name] = param.default
        elif param.rest:
            start = words[used - 1][1] if used else 0
            text = args[start:].strip()
            if not text and param.required:
                raise UsageError(f"{param.name} is missing")
            values[param.name] = _strip_quotes(text) if text else param.default
            used = len(words)
        elif used < len(words):
            values[param.name] = convert(param, words[used][0])
            used += 1
        elif param.required:
            raise UsageError(f"{param.name} is missing")
        else:
            values[param.name] = param.default
    if used < len(words):
        extra = " ".join(w for w, _ in words[used:])
        raise UsageError(f"unexpected extra argument(s): {extra}")
    return values


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" and text[0] not in text[1:-1]:
        return text[1:-1]
    return text


@attrs.define
class CommandTable:
    """All commands by name and alias; refuses two plugins claiming one name.

    Typos are found through an index of every name with one letter deleted, so telling a
    likely typo from a word that is not for the bot costs a few set look-ups, however many
    commands there are.
    """

    by_name: dict[str, Command] = attrs.Factory(dict)
    _near: dict[str, set[str]] = attrs.Factory(dict)

    def add(self, cmd: Command) -> None:
        for key in (cmd.name, *cmd.aliases):
            other = self.by_name.get(key)
            if other is not None:
                raise ValueError(
                    f"command {key!r} is claimed by both plugin {other.plugin!r} and plugin "
                    f"{cmd.plugin!r}; disable one of them in [plugins] disabled"
                )
        for key in (cmd.name, *cmd.aliases):
            self.by_name[key] = cmd
            head = key.split(" ", 1)[0]
            for variant in _deletions(head):
                self._near.setdefault(variant, set()).add(head)

    def unique(self) -> list[Command]:
        seen: dict[str, Command] = {c.name: c for c in self.by_name.values()}
        return sorted(seen.values(), key=lambda c: c.name)

    def find(self, text: str) -> tuple[Command | None, str, str]:
        """Split ``name args`` into (command, name as typed, args); longest name wins."""
        parts = text.split(None, 2)
        if not parts:
            return None, "", ""
        if len(parts) >= 2:
            two = f"{parts[0]} {parts[1]}".lower()
            if two in self.by_name:
                rest = text.split(None, 2)[2] if len(parts) == 3 else ""
                return self.by_name[two], two, rest
        name = parts[0].lower()
        rest = text[len(text) - len(text.lstrip()) + len(parts[0]) :].strip()
        return self.by_name.get(name), name, rest

    def has_near(self, name: str) -> bool:
        """Whether some command name is one edit (insert, delete, change, swap) from ``name``."""
        if len(name) > 64:
            return False
        return any(variant in self._near for variant in _deletions(name.lower()))

    def suggest(self, name: str) -> list[str]:
        """Up to three command names close to ``name``, closest first."""
        name = name.lower()[:64]
        candidates = {n for v in _deletions(name) for n in self._near.get(v, ())}
        return difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.0)


def _deletions(word: str) -> set[str]:
    """``word`` and every string made by deleting one of its letters."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}
