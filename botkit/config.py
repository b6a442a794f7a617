"""The TOML configuration: host sections, plugin sections validated against attrs classes."""

from __future__ import annotations

import difflib
import enum
import json
import os
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import attrs

DEFAULT_CONFIG = "botkit.toml"


class ConfigError(Exception):
    """The configuration file is wrong; the message names file, section and key."""


def setting(
    default: Any,
    help: str = "",
    validator: Any = None,
    *,
    server: bool = False,
    owner_only: bool = False,
) -> Any:
    """An attrs field with a default and a one-line help text (shown by ``botkit init``).

    ``validator`` is an attrs validator; a ``ValueError`` it raises names the bad value.
    ``server=True``: a server's admins may change it for their server with ``!config``;
    ``owner_only=True``: only the bot's owner may (e.g. a service's ``base_url``). Never mark
    keys, key variables, paths or directories.
    """
    meta = {"help": help, "server": server or owner_only, "owner_only": owner_only}
    if isinstance(default, list | dict | set):
        factory = lambda: type(default)(default)  # noqa: E731 - a fresh copy per instance
        return attrs.field(factory=factory, validator=validator, metadata=meta)
    return attrs.field(default=default, validator=validator, metadata=meta)


def positive(instance: Any, attribute: Any, value: float) -> None:
    """Validator for :func:`setting`: the value must be above 0."""
    if value <= 0:
        raise ValueError(f"{attribute.name} must be greater than 0, not {value!r}")


def not_negative(instance: Any, attribute: Any, value: float) -> None:
    """Validator for :func:`setting`: the value must be 0 or more."""
    if value < 0:
        raise ValueError(f"{attribute.name} must be 0 or more, not {value!r}")


@attrs.define
class BotSettings:
    """The ``[bot]`` section."""

    prefix: str = setting("!", "command prefix")
    data_dir: str = setting("botkit-data", "where the bot writes everything (BOTKIT_DATA_DIR)")
    files_dir: str = setting("files", "inside data_dir: the only files !getfile may send")
    triggers: list[Literal["dm", "mention", "reply", "thread", "all"]] = setting(
        ["dm", "mention", "reply", "thread"],
        "plain messages answered: dm, mention, reply (to the bot), thread (the bot's), all",
    )
    allowed_channels: list[str] = setting([], "channel ids where every message is answered")
    owner_ids: list[str] = setting([], "user ids allowed to run owner-only commands")
    hook_timeout: float = setting(120.0, "seconds a plugin hook may take before it is cut off")
    instruction_file: str = setting("", "Markdown file for !instruction (empty: generated)")
    max_attachment_mb: float = setting(25.0, "attachments larger than this are refused")
    max_reply_messages: int = setting(
        4, "a reply needing more messages than this is sent as a reply.md file", positive
    )
    typing_delay: float = setting(
        0.6, "seconds an answer may take before the typing indicator shows", not_negative
    )


@attrs.define
class StorageSettings:
    """The ``[storage]`` section."""

    url: str = setting("", "SQLAlchemy async URL; empty: SQLite in data_dir")


@attrs.define
class PluginsSettings:
    """The ``[plugins]`` section."""

    disabled: list[str] = setting([], "plugin names not to load")


@attrs.define
class LoggingSettings:
    """The ``[logging]`` section."""

    level: Literal["", "DEBUG", "INFO", "WARNING", "ERROR"] = setting(
        "", "DEBUG, INFO, WARNING or ERROR; empty: INFO on a chat platform, WARNING in the console"
    )


def _listen(instance: Any, attribute: Any, value: str) -> None:
    if value:
        from botkit.metrics import parse_listen

        parse_listen(value)


@attrs.define
class MetricsSettings:
    """The ``[metrics]`` section: Prometheus metrics and a health check over HTTP."""

    listen: str = setting(
        "",
        "host:port serving /metrics and /healthz, e.g. 127.0.0.1:9108; empty: off",
        _listen,
    )


def _url(instance: Any, attribute: Any, value: str) -> None:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError(f"{attribute.name} must start with http:// or https://, not {value!r}")


@attrs.define
class WebSettings:
    """The ``[web]`` section: the web console for owners and admins (docs/web.md)."""

    listen: str = setting(
        "", "host:port serving the web console, e.g. 127.0.0.1:8765; empty: off", _listen
    )
    public_url: str = setting(
        "",
        "the console's address behind a reverse proxy, e.g. https://bot.example.org",
        _url,
    )
    session_hours: float = setting(12.0, "hours a web sign-in lasts", positive)


def _metrics_table(raw: dict[str, Any]) -> Any:
    """``[metrics]``, with ``$BOTKIT_METRICS_LISTEN`` (e.g. in a container image) winning."""
    table = raw.get("metrics", {})
    listen = os.environ.get("BOTKIT_METRICS_LISTEN")
    if listen is None or not isinstance(table, dict):
        return table
    return {**table, "listen": listen}


@attrs.define
class Config:
    """The loaded configuration file."""

    path: Path | None
    raw: dict[str, Any]
    bot: BotSettings
    storage: StorageSettings
    plugins: PluginsSettings
    logging: LoggingSettings = attrs.Factory(LoggingSettings)
    metrics: MetricsSettings = attrs.Factory(MetricsSettings)
    web: WebSettings = attrs.Factory(WebSettings)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Config:
        """Read ``path``, else ``$BOTKIT_CONFIG``, else ``./botkit.toml`` when it exists."""
        chosen = path or os.environ.get("BOTKIT_CONFIG")
        if chosen is None and Path(DEFAULT_CONFIG).is_file():
            chosen = DEFAULT_CONFIG
        raw: dict[str, Any] = {}
        file = Path(chosen) if chosen else None
        if file is not None:
            import tomllib  # here: start-up without a configuration file never needs it

            try:
                raw = tomllib.loads(file.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise ConfigError(f"{file}: no such configuration file") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        return cls.from_dict(raw, file)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], path: Path | None = None) -> Config:
        where = str(path) if path else "configuration"
        return cls(
            path=path,
            raw=raw,
            bot=build_settings(BotSettings, raw.get("bot", {}), where, "bot"),
            storage=build_settings(StorageSettings, raw.get("storage", {}), where, "storage"),
            plugins=build_settings(PluginsSettings, raw.get("plugins", {}), where, "plugins"),
            logging=build_settings(LoggingSettings, raw.get("logging", {}), where, "logging"),
            metrics=build_settings(MetricsSettings, _metrics_table(raw), where, "metrics"),
            web=build_settings(WebSettings, raw.get("web", {}), where, "web"),
        )

    @property
    def adapter_sections(self) -> list[str]:
        """Sections named after installed adapters (checked when that adapter runs)."""
        from botkit.adapters.registry import names

        return names()

    @property
    def data_dir(self) -> Path:
        base = self.path.parent if self.path else Path.cwd()
        chosen = os.environ.get("BOTKIT_DATA_DIR") or self.bot.data_dir
        return (base / chosen).resolve()

    @property
    def files_dir(self) -> Path:
        return (self.data_dir / self.bot.files_dir).resolve()

    def section(self, name: str, cls: type[Any]) -> Any:
        """Build a plugin's settings from its ``[name]`` section."""
        return build_settings(cls, self.raw.get(name, {}), str(self.path or "configuration"), name)


def build_settings(cls: type[Any], table: Any, where: str, section: str) -> Any:
    """Validate a TOML table against an attrs class; raise ConfigError naming the key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{section}] must be a table")
    fields = {f.name: f for f in attrs.fields(cls)}
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(f"{where}: [{section}] {key} is not a setting ({_hint(key, fields)})")
        try:
            values[key] = _check(hints[key], value)
        except TypeError as exc:
            raise ConfigError(f"{where}: [{section}] {key}: {exc}") from None
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: [{section}]: {exc}") from None


def _hint(key: str, known: Iterable[str]) -> str:
    """``did you mean temperature?``, else the settings there are."""
    names = list(known)
    close = difflib.get_close_matches(key, names, n=1)
    if close:
        return f"did you mean {close[0]}?"
    return f"settings: {', '.join(names)}" if names else "this section has no settings"


def _check(kind: Any, value: Any) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            try:
                return _check(arg, value)
            except TypeError:
                continue
        raise TypeError(f"expected {type_name(kind)}, got {json.dumps(value, default=str)}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise TypeError(f"expected one of {', '.join(map(repr, args))}, got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r}")
        return origin(_check(args[0], v) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(f"expected a table, got {value!r}")
        return {str(k): _check(args[1], v) for k, v in value.items()}
    if kind is type(None):
        if value is None:
            return None
        raise TypeError("expected nothing")
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            options = ", ".join(repr(m.value) for m in kind)
            raise TypeError(f"expected one of {options}, got {value!r}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    if isinstance(kind, type) and isinstance(value, kind):
        return value
    raise TypeError(f"expected {type_name(kind)}, got {value!r}")


def type_name(kind: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    if kind in names:
        return names[kind]
    return getattr(kind, "__name__", str(kind))


def render_section(name: str, cls: type[Any]) -> str:
    """A commented TOML section with every setting at its default."""
    lines = [f"[{name}]"]
    for field, value in zip(attrs.fields(cls), attrs.astuple(cls()), strict=True):
        help_text = field.metadata.get("help", "")
        if help_text:
            lines.append(f"# {help_text}")
        if value is None:  # TOML has no null: leave the key out, commented
            lines.append(f"# {field.name} = (not set)")
        else:
            lines.append(f"{field.name} = {toml_value(value)}")
    return "\n".join(lines)


def toml_value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)
