"""Resolving paths that come from chat, so they never leave their sandbox directory."""

from __future__ import annotations

from pathlib import Path


class UnsafePath(ValueError):
    """The path points outside the directory it must stay in."""


def inside(root: Path, user_path: str) -> Path:
    """Resolve ``user_path`` relative to ``root``, following symlinks; refuse anything outside.

    Absolute paths, ``..`` and symlinks that lead out of ``root`` raise :class:`UnsafePath`.
    """
    if not user_path or "\x00" in user_path:
        raise UnsafePath("empty or invalid path")
    if Path(user_path).is_absolute() or user_path.startswith("~"):
        raise UnsafePath("absolute paths are not allowed; give a path inside the directory")
    base = root.resolve()
    target = (base / user_path).resolve()
    if target != base and not target.is_relative_to(base):
        raise UnsafePath("the path leads outside the directory")
    return target


def safe_filename(name: str, default: str = "file") -> str:
    """A file name with no directory part and only harmless characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(" .")
    return cleaned[:120] or default
