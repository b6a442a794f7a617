"""Which plugins are switched off in which space (``!plugin disable NAME``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botkit.storage import Storage

KEY = "disabled_plugins"
NONE: frozenset[str] = frozenset()


class Switches:
    """Loaded once at start, kept current here as they change."""

    def __init__(self, storage: Callable[[], Storage]) -> None:
        self._storage = storage
        self._off: dict[str, frozenset[str]] = {}

    async def load(self) -> None:
        stored = await self._storage().settings_by_guild("botkit", KEY)
        self._off = {space: frozenset(names) for space, names in stored.items()}

    async def reload(self, space: str) -> None:
        """Read one space's switches again (another process changed them)."""
        names = await self._storage().get_setting("botkit", space, KEY, [])
        self._off[space] = frozenset(names)

    def off(self, space: str | None) -> frozenset[str]:
        """The plugins switched off in this space."""
        return self._off.get(space or "", NONE)

    async def set(self, space: str, plugin: str, enabled: bool) -> None:
        names = set(self.off(space))
        (names.discard if enabled else names.add)(plugin)
        await self._storage().set_setting("botkit", space, KEY, sorted(names))
        self._off[space] = frozenset(names)
