"""Per-server values of plugin settings, changed from chat with ``!config``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from botkit.config import ConfigError, build_settings

if TYPE_CHECKING:
    from botkit.storage import Storage

KEY = "config"


class ServerConfig:
    """Loads every server's values once, merges them over the file's, validates changes."""

    def __init__(
        self, storage: Callable[[], Storage], *, settings: dict[str, Any], raw: dict[str, Any]
    ) -> None:
        self._storage = storage
        self.settings = settings  # plugin name -> its settings from the file
        self.raw = raw  # the configuration file's tables
        self.values: dict[tuple[str, str], dict[str, Any]] = {}  # (plugin, guild) -> values
        self._merged: dict[tuple[str, str], Any] = {}

    async def load(self) -> None:
        for plugin in self.settings:
            stored = await self._storage().settings_by_guild(f"{KEY}:{plugin}", KEY)
            for guild, values in stored.items():
                self.values[(plugin, guild)] = dict(values)
        self._merged.clear()

    async def reload(self, plugin: str, guild_id: str) -> None:
        """Read one server's values of one plugin again (another process changed them)."""
        values = await self._storage().get_setting(f"{KEY}:{plugin}", guild_id, KEY, {})
        self.values[(plugin, guild_id)] = dict(values)
        self._merged.pop((plugin, guild_id), None)

    def merged(self, plugin: str, base: Any, guild_id: str | None) -> Any:
        """``base`` with this server's values applied (``base`` itself where there are none)."""
        key = (plugin, guild_id or "")
        values = self.values.get(key)
        if not values or base is None:
            return base
        found = self._merged.get(key)
        if found is None:
            found = self._merged[key] = attrs.evolve(base, **_known(base, values))
        return found

    @staticmethod
    def changeable(settings_cls: type, owner: bool) -> list[str]:
        """The settings a server admin (or, with ``owner``, the bot's owner) may change."""
        return [
            f.name
            for f in attrs.fields(settings_cls)
            if f.metadata.get("server") and (owner or not f.metadata.get("owner_only"))
        ]

    def check_right(self, plugin: str, key: str, owner: bool) -> None:
        """Raise ConfigError unless a server (the owner, with ``owner``) may change ``key``."""
        base = self.settings[plugin]
        field = next((f for f in attrs.fields(type(base)) if f.name == key), None)
        if field is None:
            raise ConfigError(f"[{plugin}] has no setting {key[:40]!r}")
        if not field.metadata.get("server"):
            raise ConfigError(f"[{plugin}] {key} can be changed only in the configuration file")
        if field.metadata.get("owner_only") and not owner:
            raise ConfigError(f"[{plugin}] {key} can be changed only by the bot's owner")

    async def set(self, plugin: str, guild_id: str, key: str, text: str, owner: bool) -> Any:
        """Validate and store one value; return the new merged settings or raise ConfigError."""
        self.check_right(plugin, key, owner)
        base = self.settings[plugin]
        values = {**self.values.get((plugin, guild_id), {}), key: parse_value(text)}
        self._validate(plugin, base, values)
        await self._store(plugin, guild_id, values)
        return self.merged(plugin, base, guild_id)

    async def reset(self, plugin: str, guild_id: str, key: str, owner: bool) -> bool:
        """Back to the file's value (the same rights as changing it); False when unchanged."""
        self.check_right(plugin, key, owner)
        values = dict(self.values.get((plugin, guild_id), {}))
        if values.pop(key, _MISSING) is _MISSING:
            return False
        await self._store(plugin, guild_id, values)
        return True

    def _validate(self, plugin: str, base: Any, values: dict[str, Any]) -> None:
        file_values = self.raw.get(plugin, {})
        build_settings(type(base), {**file_values, **values}, "this server", plugin)

    async def _store(self, plugin: str, guild_id: str, values: dict[str, Any]) -> None:
        await self._storage().set_setting(f"{KEY}:{plugin}", guild_id, KEY, values)
        self.values[(plugin, guild_id)] = values
        self._merged.pop((plugin, guild_id), None)


def parse_value(text: str) -> Any:
    """A value typed in chat, read as TOML (``0.2``, ``true``, ``["a", "b"]``) or else text."""
    import tomllib  # here: start-up without a configuration file never needs it

    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def _known(base: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Stored values of settings that still exist, converted as the file's would be."""
    names = {f.name for f in attrs.fields(type(base))}
    kept = {k: v for k, v in values.items() if k in names}
    try:
        built = build_settings(type(base), kept, "stored server values", "")
    except ConfigError:
        return {}
    return {k: getattr(built, k) for k in kept}


_MISSING = object()
