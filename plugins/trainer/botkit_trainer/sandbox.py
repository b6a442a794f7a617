"""Paths from chat resolved inside the data directory, and files saved there safely.

The functions that touch the disk are blocking; callers run them in a worker thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import attrs

from botkit.util import UnsafePath, safe_filename


class Refused(Exception):
    """A path or file that may not be used; the message says why, for the user."""


SHOWN = 40


def resolve_dir(resolve: Callable[[str], Path], user_path: str) -> Path:
    """The existing directory ``user_path`` inside the data directory (``resolve`` is the
    plugin handle's sandbox: symlinks followed, long names and paths out refused)."""
    try:
        target = resolve(user_path)
        exists = target.is_dir()
    except UnsafePath as exc:
        raise Refused(
            f"{exc}. Give a directory relative to the bot's data directory, e.g. `datasets/faq`."
        ) from None
    except (OSError, ValueError) as exc:
        problem = type(exc).__name__
        raise Refused(f"{user_path[:SHOWN]!r} is not a usable path ({problem}).") from None
    if not exists:
        raise Refused(f"There is no directory {user_path!r} in the bot's data directory.")
    return target


def relative(data_dir: Path, path: Path) -> str:
    """``path`` as shown to users: relative to the data directory, with forward slashes."""
    return path.relative_to(data_dir.resolve()).as_posix() or "."


def save_unique(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as a new file named after ``name`` (sanitised), never overwriting."""
    directory.mkdir(parents=True, exist_ok=True)
    clean = safe_filename(name)
    stem, dot, suffix = clean.rpartition(".")
    stem, suffix = (stem, dot + suffix) if stem else (clean, "")
    for attempt in range(10_000):
        candidate = directory / (clean if attempt == 0 else f"{stem}-{attempt}{suffix}")
        try:
            with candidate.open("xb") as file:
                file.write(data)
        except FileExistsError:
            continue
        return candidate
    raise Refused(f"Too many files named {clean} already; rename the file.")


@attrs.frozen
class Listing:
    """Regular files found under a directory, and how many entries were passed over."""

    files: list[Path]
    skipped: int


def list_files(
    root: Path, data_dir: Path, suffixes: tuple[str, ...] | None, max_files: int
) -> Listing:
    """Files under ``root`` (with one of ``suffixes``, unless None), never leaving ``data_dir``.

    Raises :class:`Refused` when there are more than ``max_files``.
    """
    base = data_dir.resolve()
    found: list[Path] = []
    skipped = 0
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(folder) / name
            real = path.resolve()
            usable = real.is_relative_to(base) and real.is_file()
            if not usable or (suffixes is not None and path.suffix.lower() not in suffixes):
                skipped += 1
                continue
            found.append(path)
            if len(found) > max_files:
                raise Refused(
                    f"{relative(data_dir, root)} has more than {max_files} usable files; "
                    "split it into smaller directories."
                )
    return Listing(found, skipped)
