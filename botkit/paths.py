"""Resolving paths that come from chat, so they never leave their sandbox directory."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path

MAX_NAME = 255  # bytes in one file name (most file systems)
MAX_PATH = 1024


class UnsafePath(ValueError):
    """The path points outside the directory it must stay in."""


class NameTooLong(UnsafePath):
    """The path or one of its names is longer than file systems allow."""


def inside(root: Path, user_path: str) -> Path:
    """Resolve ``user_path`` relative to ``root``, following symlinks; refuse anything outside.

    Absolute paths, ``..`` and symlinks that lead out of ``root`` raise :class:`UnsafePath`.
    """
    if not user_path or "\x00" in user_path:
        raise UnsafePath("empty or invalid path")
    if len(user_path) > MAX_PATH or any(
        len(part.encode("utf-8", "surrogatepass")) > MAX_NAME for part in user_path.split("/")
    ):
        raise NameTooLong(
            f"the name is too long (at most {MAX_NAME} bytes a name, {MAX_PATH} characters in all)"
        )
    if Path(user_path).is_absolute() or user_path.startswith("~"):
        raise UnsafePath("absolute paths are not allowed; give a path inside the directory")
    base = root.resolve()
    try:
        target = (base / user_path).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, an encoding error
        raise UnsafePath(f"the path cannot be resolved ({type(exc).__name__})") from None
    if target != base and not target.is_relative_to(base):
        raise UnsafePath("the path leads outside the directory")
    return target


SAFE_NAME_CHARS = 120
SAFE_NAME_BYTES = 200  # in UTF-8: well under MAX_NAME, room for a prefix or a counter


def safe_filename(name: str, default: str = "file") -> str:
    """A file name with no directory part and only harmless characters, short enough for
    any file system (a long name keeps its extension)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(" .")
    if not cleaned:
        return default
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or len(suffix) > 16 or not stem:
        stem, dot, suffix = cleaned, "", ""
    ending = dot + suffix
    while stem and (
        len(stem) + len(ending) > SAFE_NAME_CHARS
        or len((stem + ending).encode("utf-8")) > SAFE_NAME_BYTES
    ):
        stem = stem[: min(len(stem) - 1, SAFE_NAME_CHARS - len(ending))]
    return (stem.rstrip(" .") + ending) or default


def deliveries(data_dir: Path, user_id: str) -> Path:
    """Where an adapter without a chat client of its own (the console) keeps the files the
    bot sent to ``user_id``: one folder per person, which ``!forgetme`` deletes."""
    return data_dir / "deliveries" / safe_filename(user_id)


def sha256_problem(directory: Path, sums: Mapping[str, str]) -> str | None:
    """Why the files ``sums`` names (relative to ``directory``) are not the expected ones:
    missing, or not matching their sha256 hex digest; None when all match. Blocking (model
    weights are large): call it in a thread. The digests are computed once per state of the
    files (their sizes and modification times), so asking again costs a ``stat`` per file."""
    stamps = []
    for name in sums:
        try:
            stat = (directory / name).stat()
        except OSError:
            return f"{directory / name} is missing"
        stamps.append((stat.st_size, stat.st_mtime_ns))
    return _digests_problem(directory, tuple(sums.items()), tuple(stamps))


@functools.cache
def _digests_problem(
    directory: Path, sums: tuple[tuple[str, str], ...], stamps: tuple[tuple[int, int], ...]
) -> str | None:
    for name, expected in sums:
        path = directory / name
        if not path.is_file():
            return f"{path} is missing"
        digest = hashlib.sha256()
        with path.open("rb") as data:
            while chunk := data.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            return f"{path} does not match its sha256 sum"
    return None
