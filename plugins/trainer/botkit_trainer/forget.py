"""Forgetting a user: every example holding their words (theirs, and those naming them among
its people, such as another user's correction of the answer to their question), their
uploads, and everything built from them.

Built training files of the datasets they added to are deleted (the next ``!train start``
builds them again without the user), so are the copies uploaded to fine-tuning services for
jobs on those datasets, and zip archives holding any of those files are rebuilt without them,
or deleted when nothing else is left. Files are recognised inside an archive by their CRC-32
and size, as the zip records them. A model already trained cannot be untrained.
"""

from __future__ import annotations

import asyncio
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import attrs

from botkit_trainer.intake import dataset_folder, legacy_dm_folder
from botkit_trainer.jobs import target_of
from botkit_trainer.providers.base import ProviderError
from botkit_trainer.sandbox import relative
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.state import NoApiKey, UnknownProvider, runtime_of

BUILD = "build"
Fingerprint = tuple[int, int]  # (crc32, size)


@attrs.define
class Removed:
    uploads: int = 0
    builds: list[str] = attrs.Factory(list)
    archives_rebuilt: list[str] = attrs.Factory(list)
    archives_deleted: list[str] = attrs.Factory(list)


async def user_counts(plugin: Any, settings: TrainerSettings, user_id: str) -> dict[str, int]:
    from botkit_trainer import store

    found = await store.user_footprint(plugin.storage, user_id)
    return {
        "training examples": found.examples,
        "documents": found.documents,
        "uploaded files": len(found.files),
    }


async def forget_user(plugin: Any, settings: TrainerSettings, user_id: str) -> list[str]:
    """Delete the user's rows and files; return short lines saying what went."""
    from botkit_trainer import search, store

    found = await store.user_footprint(plugin.storage, user_id)
    if not (found.examples or found.documents or found.files):
        return []
    root = plugin.data_dir.resolve()
    uploads = [root / name for name in found.files]
    builds = [dataset_folder(root, settings, space, name) / BUILD for space, name in found.datasets]
    builds += [  # built while every DM shared one folder: they may hold the user's words too
        legacy_dm_folder(root, settings, name) / BUILD
        for space, name in found.datasets
        if store.is_dm(space)
    ]
    archives = root / settings.archives_dir
    deleted = await store.delete_user_examples(plugin.storage, user_id)
    await search.compact(plugin.storage)
    removed = await asyncio.wait_for(
        asyncio.to_thread(remove_files, root, uploads, builds, archives), settings.work_timeout
    )
    plugin.log.info(
        "forgot user %s: %d examples, %d uploads, %d build folders; archives rebuilt %s, "
        "deleted %s",
        user_id,
        deleted,
        removed.uploads,
        len(removed.builds),
        removed.archives_rebuilt,
        removed.archives_deleted,
    )
    lines = [f"{deleted} training example(s) and document(s)"]
    if removed.uploads:
        lines.append(f"{removed.uploads} uploaded file(s)")
    lines += [f"built training files in {where}" for where in removed.builds]
    lines += [f"archive {name} rebuilt without your files" for name in removed.archives_rebuilt]
    lines += [
        f"archive {name} deleted (it held only your files)" for name in removed.archives_deleted
    ]
    lines += await delete_uploaded(plugin, settings, found.datasets)
    return lines


async def delete_uploaded(
    plugin: Any, settings: TrainerSettings, datasets: list[tuple[str, str]]
) -> list[str]:
    """Delete the training files uploaded for jobs on these datasets from their services."""
    from botkit_trainer import store

    lines = []
    runtime = runtime_of(plugin)
    for row in await store.dataset_jobs(plugin.storage, datasets):
        if not row.training_file:
            continue
        where = f"the training file of job {row.id} on {row.provider}"
        try:
            client = await runtime.client(settings, target_of(row))
            await client.delete_file(row.training_file)
        except NoApiKey as exc:
            lines.append(f"{where} could not be deleted: {exc} is not set")
            continue
        except UnknownProvider:
            lines.append(f"{where} could not be deleted: the provider is not installed")
            continue
        except ProviderError as exc:
            lines.append(f"{where} could not be deleted: {exc}")
            continue
        await store.forget_training_file(plugin.storage, row.id)
        lines.append(f"{where} deleted")
    return lines


def remove_files(root: Path, uploads: list[Path], builds: list[Path], archives: Path) -> Removed:
    """Delete the uploads and build folders, then scrub the archives of them (blocking)."""
    removed = Removed()
    marks: set[Fingerprint] = set()
    for path in uploads:
        if _inside(root, path) and path.is_file():
            marks.add(_fingerprint(path))
            path.unlink()
            removed.uploads += 1
    for folder in builds:
        if not (_inside(root, folder) and folder.is_dir()):
            continue
        for path in folder.iterdir():
            if path.is_file():
                marks.add(_fingerprint(path))
                path.unlink()
        folder.rmdir()
        removed.builds.append(relative(root, folder))
    if marks and archives.is_dir():
        for archive in sorted(archives.glob("*.zip")):
            outcome = _scrub(archive, marks)
            if outcome == "rebuilt":
                removed.archives_rebuilt.append(relative(root, archive))
            elif outcome == "deleted":
                removed.archives_deleted.append(relative(root, archive))
    return removed


def _inside(root: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(root)


def _fingerprint(path: Path) -> Fingerprint:
    data = path.read_bytes()
    return zlib.crc32(data), len(data)


def _scrub(archive: Path, marks: set[Fingerprint]) -> str:
    """Rewrite ``archive`` without members matching ``marks``: "rebuilt", "deleted" or ""."""
    try:
        with zipfile.ZipFile(archive) as source:
            members = source.infolist()
            keep = [m for m in members if (m.CRC, m.file_size) not in marks]
            if len(keep) == len(members):
                return ""
            if not [m for m in keep if not m.is_dir()]:
                archive.unlink()
                return "deleted"
            partial = archive.with_name(archive.name + ".part")
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as target:
                for member in keep:
                    target.writestr(member, source.read(member))
    except zipfile.BadZipFile:
        return ""
    os.replace(partial, archive)
    return "rebuilt"
