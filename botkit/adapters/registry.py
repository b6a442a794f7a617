"""Adapters found through the entry-point group ``botkit.adapters``, like plugins.

Listing reads entry-point names only; an adapter's module is imported when it is chosen,
checked or synced, so ``botkit plugins list`` never imports discord.py.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from typing import Any

import attrs

from botkit.adapters.base import AdapterSetup, AdapterSpec
from botkit.config import Config, ConfigError

log = logging.getLogger("botkit.adapters")

ENTRY_POINT_GROUP = "botkit.adapters"
PREFERENCE = ("discord", "telegram")  # chosen in this order when their token is set


@attrs.define
class AdapterStatus:
    """What ``botkit plugins list`` shows about one adapter."""

    name: str
    distribution: str = ""
    version: str = ""
    state: str = "available"  # available, error
    error: str = ""
    token_env: str = ""

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep for ep in sorted(found, key=lambda ep: ep.name)}


def names() -> list[str]:
    return list(entry_points())


def load(name: str) -> AdapterSpec:
    """Import adapter ``name``; ConfigError naming the installed ones when it is unknown."""
    found = entry_points()
    if name not in found:
        known = ", ".join(found) or "none"
        raise ConfigError(f"no adapter {name!r} is installed (installed: {known})")
    try:
        return found[name].load()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise ConfigError(f"adapter {name} cannot be loaded: {type(exc).__name__}: {exc}") from exc


def statuses(
    installed: dict[str, importlib.metadata.EntryPoint] | None = None,
) -> list[AdapterStatus]:
    """Every installed adapter (``installed``, else looked up), imported to check it loads
    (for listings and doctor)."""
    result = []
    for name, ep in (installed or entry_points()).items():
        status = AdapterStatus(
            name, ep.dist.name if ep.dist else "", ep.dist.version if ep.dist else ""
        )
        try:
            spec = ep.load()
            status.token_env = spec.token_env or ""
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            status.state, status.error = "error", f"{type(exc).__name__}: {exc}"
        result.append(status)
    return result


def default_name(
    environ: Any = os.environ, installed: dict[str, importlib.metadata.EntryPoint] | None = None
) -> str:
    """The first installed adapter whose token variable is set (Discord, then Telegram, then
    the others by name), else the console."""
    installed = installed or entry_points()
    order = [n for n in PREFERENCE if n in installed]
    order += [n for n in installed if n not in order]
    for name in order:
        try:
            token_env = getattr(installed[name].load(), "token_env", None)
        except Exception:
            log.warning("adapter %s cannot be loaded; not considered", name)
            continue
        if token_env and environ.get(token_env, "").strip():
            return name
    return "console"


def setup(spec: AdapterSpec, config: Config) -> AdapterSetup:
    """The adapter's ``[name]`` section and its token from the environment."""
    settings = config.section(spec.name, spec.settings) if spec.settings else None
    token = os.environ.get(spec.token_env, "").strip() if spec.token_env else ""
    return AdapterSetup(config=config, settings=settings, token=token)
