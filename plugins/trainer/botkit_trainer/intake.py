"""Getting text, attachments and directories into a dataset."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from botkit import Attachment
from botkit_trainer.archive import Member, read_zip
from botkit_trainer.ingest import EXTENSIONS, Parsed, parse_file, split_passages
from botkit_trainer.rows import NewExample, qa_content
from botkit_trainer.sandbox import Refused, list_files, relative, save_unique
from botkit_trainer.settings import TrainerSettings
from botkit_trainer.sizes import human, megabytes

log = logging.getLogger("botkit.plugin.trainer")

ZIP = ".zip"
UPLOAD_EXTENSIONS = (*EXTENSIONS, ZIP)
PROBLEMS_SHOWN = 5
T = TypeVar("T")


async def in_thread(func: Callable[..., T], *args: object, seconds: float) -> T:
    """Run blocking ``func`` in a worker thread, giving up after ``seconds``."""
    return await asyncio.wait_for(asyncio.to_thread(func, *args), seconds)


def dataset_folder(data_dir: Path, settings: TrainerSettings, space: str, name: str) -> Path:
    """Where a dataset's uploads and built files live: ``datasets/<server id>/<name>``, or
    ``datasets/dm-<user id>/<name>`` for one person's direct messages."""
    return data_dir.resolve() / settings.datasets_dir / space.replace(":", "-") / name


def legacy_dm_folder(data_dir: Path, settings: TrainerSettings, name: str) -> Path:
    """Where datasets of direct messages lived while all DMs shared one space (botkit 0.2)."""
    return data_dir.resolve() / settings.datasets_dir / "dm" / name


@attrs.frozen
class Batch:
    """What one source (the inline text, a file) yielded; ``name`` is the file's path."""

    source: str
    name: str
    parsed: Parsed


@attrs.define
class Tally:
    """What storing some batches did, in words for the user."""

    positive: int = 0
    negative: int = 0
    documents: int = 0
    passages: int = 0
    duplicates: int = 0
    problems: list[str] = attrs.Factory(list)
    used_files: set[str] = attrs.Factory(set)  # files at least one new example came from

    @property
    def added(self) -> int:
        return self.positive + self.negative + self.documents

    def summary(self, dataset: str) -> str:
        parts = []
        if self.positive or self.negative:
            parts.append(f"{self.positive} positive and {self.negative} negative Q&A examples")
        if self.documents:
            parts.append(f"{self.documents} document(s) ({self.passages} passages)")
        text = f"Dataset **{dataset}**: added {' and '.join(parts) or 'nothing'}."
        if self.duplicates:
            text += f" {self.duplicates} already in the dataset."
        if self.problems:
            shown = [f"- {p}" for p in self.problems[:PROBLEMS_SHOWN]]
            if len(self.problems) > PROBLEMS_SHOWN:
                shown.append(f"- ... and {len(self.problems) - PROBLEMS_SHOWN} more")
            text += "\nNot used:\n" + "\n".join(shown)
        return text


async def store_batches(
    storage: Any,
    space: str,
    dataset: str,
    batches: Sequence[Batch],
    *,
    label: str,
    people: tuple[str, ...],
    passage_chars: int,
) -> Tally:
    """Store every example and document of ``batches`` in the dataset (created if new);
    ``people`` is everyone whose words they hold, the author first."""
    from botkit_trainer import store

    tally = Tally()
    items: list[NewExample] = []
    for batch in batches:
        tally.problems += batch.parsed.problems
        for qa in batch.parsed.qa:
            content = qa_content(qa.messages)
            items.append(
                NewExample(qa.label or label, "qa", batch.source, content, batch.name, people)
            )
        for document in batch.parsed.documents:
            if label == "negative":
                tally.problems.append(
                    f"{document.name}: prose is always positive; negative examples are "
                    "`question => answer` pairs with the answer to avoid"
                )
                continue
            chunks = tuple(split_passages(document.text, passage_chars))
            items.append(
                NewExample(
                    "positive",
                    "document",
                    batch.source,
                    document.text,
                    batch.name,
                    people,
                    chunks,
                )
            )
    if not items:
        return tally
    dataset_id = await store.dataset_id(storage, space, dataset, create=True)
    assert dataset_id is not None
    added = await store.add_examples(storage, dataset_id, space, items)
    for item, new in zip(items, added.inserted, strict=True):
        if not new:
            tally.duplicates += 1
            continue
        tally.used_files.add(item.name)
        if item.kind == "document":
            tally.documents += 1
        elif item.label == "positive":
            tally.positive += 1
        else:
            tally.negative += 1
    tally.passages = added.passages
    log.info("dataset %s of %s: %d examples added", dataset, space, tally.added)
    return tally


@attrs.frozen
class Upload:
    """An attachment's usable files (one, or a zip's members) and how many were passed over."""

    filename: str
    members: list[Member]
    skipped: int = 0


async def read_attachments(
    attachments: Sequence[Attachment], settings: TrainerSettings
) -> list[Upload]:
    """Read and check every attachment; raise :class:`Refused` at the first bad one."""
    limit = megabytes(settings.max_upload_mb)
    for attachment in attachments:
        _check_attachment(attachment.filename, attachment.size, limit)
    uploads = []
    for attachment in attachments:
        data = await attachment.read()
        _check_attachment(attachment.filename, len(data), limit)
        if not attachment.filename.lower().endswith(ZIP):
            uploads.append(Upload(attachment.filename, [Member(attachment.filename, data)]))
            continue
        members, skipped = await in_thread(_unzip, data, settings, seconds=settings.work_timeout)
        uploads.append(Upload(attachment.filename, members, skipped))
    return uploads


def _check_attachment(filename: str, size: int, limit: int) -> None:
    if not filename.lower().endswith(UPLOAD_EXTENSIONS):
        raise Refused(f"{filename}: I can learn from {', '.join(UPLOAD_EXTENSIONS)} files only.")
    if size > limit:
        raise Refused(f"{filename} is {human(size)}; the limit is {human(limit)}.")


def _unzip(data: bytes, settings: TrainerSettings) -> tuple[list[Member], int]:
    return read_zip(
        data,
        EXTENSIONS,
        max_files=settings.max_files,
        max_bytes=megabytes(settings.max_archive_mb),
        max_ratio=settings.max_ratio,
    )


def save_uploads(uploads: Sequence[Upload], folder: Path, data_dir: Path) -> list[Batch]:
    """Save each file under ``folder`` with a unique name and parse it (blocking)."""
    batches = []
    for upload in uploads:
        if upload.skipped:
            problem = f"{upload.filename}: {upload.skipped} file(s) of other types were skipped"
            batches.append(Batch("file", "", Parsed(problems=[problem])))
        for member in upload.members:
            path = save_unique(folder, member.name, member.data)
            batches.append(
                Batch("file", relative(data_dir, path), parse_file(path.name, member.data))
            )
    return batches


def drop_unused(data_dir: Path, batches: Sequence[Batch], used: set[str]) -> None:
    """Delete saved uploads that no new example came from (blocking): a file whose examples
    were all in the dataset already, or that held nothing usable, would otherwise stay on
    disk tied to no one, out of reach of ``!forgetme``."""
    for batch in batches:
        if batch.source == "file" and batch.name and batch.name not in used:
            (data_dir.resolve() / batch.name).unlink(missing_ok=True)


def read_directory(root: Path, data_dir: Path, settings: TrainerSettings) -> list[Batch]:
    """Parse every usable file under ``root`` (blocking); raises :class:`Refused`."""
    listing = list_files(root, data_dir, EXTENSIONS, settings.max_files)
    if not listing.files:
        raise Refused(
            f"{relative(data_dir, root)} has no {', '.join(EXTENSIONS)} files to learn from."
        )
    sizes = {path: path.stat().st_size for path in listing.files}
    cap, limit = megabytes(settings.max_archive_mb), megabytes(settings.max_upload_mb)
    if sum(sizes.values()) > cap:
        raise Refused(
            f"{relative(data_dir, root)} holds {human(sum(sizes.values()))} of files to learn "
            f"from; the limit is {human(cap)}. Split it into smaller directories."
        )
    batches = []
    if listing.skipped:
        problem = f"{listing.skipped} file(s) of other types or outside the data directory skipped"
        batches.append(Batch("directory", "", Parsed(problems=[problem])))
    for path, size in sizes.items():
        name = relative(data_dir, path)
        if size > limit:
            problem = f"{name}: {human(size)}, over the {human(limit)} limit; skipped"
            batches.append(Batch("directory", name, Parsed(problems=[problem])))
            continue
        batches.append(Batch("directory", name, parse_file(name, path.read_bytes())))
    return batches
