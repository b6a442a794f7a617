"""Zip archives: made from a directory, and read from an upload with archive-bomb guards.

Both functions block; callers run them in a worker thread with a time-out.
"""

from __future__ import annotations

import io
import threading
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import attrs

from botkit.util import safe_filename
from botkit_trainer.sandbox import Refused, list_files, relative
from botkit_trainer.sizes import human

CHUNK = 64 * 1024
REDO = "Make the zip again (or send the files themselves) and send it again."
# What reading a damaged member raises: a bad CRC or header, a broken deflate stream, a
# stream that ends early, a compression method zipfile cannot read.
DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError)


def damaged(detail: str) -> Refused:
    return Refused(f"That .zip file is damaged ({detail}). {REDO}")


@attrs.frozen
class Made:
    """An archive written to disk."""

    path: Path
    files: int
    size: int


class Stopped(Exception):
    """Archiving was stopped from outside (the command timed out); the partial zip is gone."""


def make_zip(
    source: Path,
    target: Path,
    *,
    data_dir: Path,
    exclude: Path,
    max_files: int,
    max_bytes: int,
    stop: threading.Event,
) -> Made:
    """Zip the files under ``source`` (nothing under ``exclude``) into the new file ``target``."""
    listing = list_files(source, data_dir, None, max_files)
    files = [p for p in listing.files if not p.resolve().is_relative_to(exclude.resolve())]
    if not files:
        raise Refused(f"{relative(data_dir, source)} has no files to archive.")
    total = sum(path.stat().st_size for path in files)
    if total > max_bytes:
        raise Refused(
            f"{relative(data_dir, source)} holds {human(total)}; "
            f"archives are limited to {human(max_bytes)}."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(target, "x", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                if stop.is_set():
                    raise Stopped
                archive.write(path, path.relative_to(source).as_posix())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Made(target, len(files), target.stat().st_size)


@attrs.frozen
class Member:
    """A usable file taken out of an uploaded zip."""

    name: str
    data: bytes


def read_zip(
    data: bytes,
    suffixes: tuple[str, ...],
    *,
    max_files: int,
    max_bytes: int,
    max_ratio: float,
) -> tuple[list[Member], int]:
    """The members of an uploaded zip with one of ``suffixes``, and how many were passed over.

    Refuses (raises :class:`Refused`) encrypted archives, unsafe member names, more than
    ``max_files`` files, more than ``max_bytes`` uncompressed, or a member compressed more
    than ``max_ratio`` times, as the headers say; then reads each member, refusing as damaged
    one whose data does not match its header (a size, the CRC) or cannot be unpacked.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        raise Refused(f"That .zip file is damaged or not a zip archive. {REDO}") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        _check_headers(infos, max_files=max_files, max_bytes=max_bytes, max_ratio=max_ratio)
        members, skipped = [], 0
        for info in infos:
            if PurePosixPath(info.filename).suffix.lower() not in suffixes:
                skipped += 1
                continue
            content = _read_member(archive, info)
            members.append(Member(safe_filename(PurePosixPath(info.filename).name), content))
    return members, skipped


def _check_headers(
    infos: list[zipfile.ZipInfo], *, max_files: int, max_bytes: int, max_ratio: float
) -> None:
    if len(infos) > max_files:
        raise Refused(f"The zip holds {len(infos)} files; the limit is {max_files}.")
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
            raise Refused(f"The zip has an unsafe file name ({info.filename!r}); refused.")
        if info.flag_bits & 0x1:
            raise Refused("The zip is encrypted; send it without a password.")
        if info.file_size > max_ratio * max(info.compress_size, 1):
            raise Refused(
                f"{info.filename} is compressed more than {max_ratio:g} times "
                "(a possible zip bomb); refused."
            )
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise Refused(f"The zip unpacks to {human(total)}; the limit is {human(max_bytes)}.")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read one member, stopping as soon as it outgrows its header (whose sizes were checked
    against the limits); a member whose data does not match its header (sizes, CRC) is
    damage, not a plugin fault."""
    buffer = bytearray()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                buffer += chunk
                if len(buffer) > info.file_size:
                    raise damaged(f"{info.filename} unpacks to more than its header says")
    except DAMAGE as exc:
        raise damaged(f"{info.filename}: {_damage(exc)}") from None
    if len(buffer) != info.file_size:
        raise damaged(f"{info.filename} unpacks to less than its header says")
    return bytes(buffer)


def _damage(exc: BaseException) -> str:
    """A short, safe description of what was wrong with a member."""
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return "its checksum does not match"
    if isinstance(exc, NotImplementedError):
        return "it uses a compression method I cannot read"
    if isinstance(exc, EOFError):
        return "its data ends early"
    return "its data cannot be read"
