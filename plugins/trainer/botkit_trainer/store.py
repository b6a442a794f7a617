"""Reading and writing datasets, examples and job rows."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

import attrs
from sqlalchemy import case, delete, func, or_, select, tuple_, update

from botkit_trainer.tables import FINAL_STATUSES, datasets, examples, jobs, passages

Storage = Any  # botkit's Storage: .session, .engine, .dialect


def guild_key(guild_id: str | None) -> str:
    """Datasets of direct messages share the empty guild id, as host settings do."""
    return guild_id or ""


def qa_content(messages: Sequence[dict[str, str]]) -> str:
    """The canonical JSON stored for a Q&A example (equal conversations, equal text)."""
    return json.dumps(
        {"messages": list(messages)}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def content_hash(kind: str, content: str) -> str:
    return hashlib.sha256(f"{kind}\n{content}".encode()).hexdigest()


@attrs.frozen
class NewExample:
    """An example about to be stored; a document brings its passages."""

    label: str
    kind: str
    source: str
    content: str
    name: str = ""
    author_id: str = ""
    passages: tuple[str, ...] = ()


@attrs.frozen
class Added:
    """Which examples were new (the others were already in the dataset), and passages stored."""

    inserted: list[bool]
    passages: int


@attrs.frozen
class DatasetSummary:
    name: str
    positive: int
    negative: int
    documents: int


@attrs.frozen
class JobRow:
    """A fine-tuning job as stored."""

    id: str
    guild_id: str
    dataset: str
    provider: str
    base_url: str
    account_id: str
    method: str
    training_file: str
    status: str
    channel_id: str
    fine_tuned_model: str | None
    error: str | None
    announced: bool
    created_at: float
    updated_at: float

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


async def dataset_id(
    storage: Storage, guild_id: str | None, name: str, *, create: bool
) -> int | None:
    """The id of dataset ``name`` in the guild, created when asked to."""
    guild = guild_key(guild_id)
    query = select(datasets.c.id).where(datasets.c.guild_id == guild, datasets.c.name == name)
    async with storage.session.begin() as session:
        if create:
            row = {"guild_id": guild, "name": name, "created_at": time.time()}
            await session.execute(storage.insert(datasets).values(**row).on_conflict_do_nothing())
        return (await session.execute(query)).scalar_one_or_none()


async def add_examples(
    storage: Storage, dataset: int, guild_id: str | None, items: Sequence[NewExample]
) -> Added:
    """Store new examples (skipping ones already in the dataset) and their passages."""
    inserted: list[bool] = []
    passage_count = 0
    async with storage.session.begin() as session:
        for item in items:
            row = {
                **attrs.asdict(item, filter=lambda a, _: a.name != "passages"),
                "dataset_id": dataset,
                "content_hash": content_hash(item.kind, item.content),
                "created_at": time.time(),
            }
            stmt = (
                storage.insert(examples)
                .values(**row)
                .on_conflict_do_nothing()
                .returning(examples.c.id)
            )
            example_id = (await session.execute(stmt)).scalar_one_or_none()
            inserted.append(example_id is not None)
            if example_id is None:
                continue
            if item.passages:
                await session.execute(
                    passages.insert(),
                    [
                        {
                            "example_id": example_id,
                            "guild_id": guild_key(guild_id),
                            "position": i,
                            "text": text,
                        }
                        for i, text in enumerate(item.passages)
                    ],
                )
                passage_count += len(item.passages)
    return Added(inserted, passage_count)


async def dataset_summaries(storage: Storage, guild_id: str | None) -> list[DatasetSummary]:
    """Every dataset of the guild with its example counts, by name."""

    def count(condition: Any) -> Any:
        return func.count(case((condition, 1)))

    query = (
        select(
            datasets.c.name,
            count((examples.c.kind == "qa") & (examples.c.label == "positive")),
            count((examples.c.kind == "qa") & (examples.c.label == "negative")),
            count(examples.c.kind == "document"),
        )
        .select_from(datasets.outerjoin(examples, examples.c.dataset_id == datasets.c.id))
        .where(datasets.c.guild_id == guild_key(guild_id))
        .group_by(datasets.c.id, datasets.c.name)
        .order_by(datasets.c.name)
    )
    async with storage.session() as session:
        rows = (await session.execute(query)).all()
    return [DatasetSummary(*row) for row in rows]


async def qa_examples(storage: Storage, dataset: int) -> list[tuple[str, list[dict[str, str]]]]:
    """(label, messages) of the dataset's Q&A examples, oldest first."""
    query = (
        select(examples.c.label, examples.c.content)
        .where(examples.c.dataset_id == dataset, examples.c.kind == "qa")
        .order_by(examples.c.id)
    )
    async with storage.session() as session:
        rows = (await session.execute(query)).all()
    return [(label, json.loads(content)["messages"]) for label, content in rows]


@attrs.frozen
class Footprint:
    """What a user's examples left: how many, their uploaded files, and their datasets."""

    examples: int
    documents: int
    files: list[str]
    datasets: list[tuple[str, str]]  # (guild key, dataset name)


async def user_footprint(storage: Storage, user_id: str) -> Footprint:
    query = (
        select(
            examples.c.kind,
            examples.c.source,
            examples.c.name,
            datasets.c.guild_id,
            datasets.c.name,
        )
        .join(datasets, datasets.c.id == examples.c.dataset_id)
        .where(examples.c.author_id == user_id)
    )
    async with storage.session() as session:
        rows = (await session.execute(query)).all()
    return Footprint(
        examples=sum(kind == "qa" for kind, *_ in rows),
        documents=sum(kind == "document" for kind, *_ in rows),
        files=sorted({name for _, source, name, *_ in rows if source == "file" and name}),
        datasets=sorted({(guild, dataset) for *_, guild, dataset in rows}),
    )


async def delete_user_examples(storage: Storage, user_id: str) -> int:
    """Delete the user's examples (their passages go with them); return how many. On SQLite
    the freed pages are overwritten (``secure_delete``), so the text leaves the file too."""
    where = examples.c.author_id == user_id
    async with storage.engine.begin() as conn:
        if storage.dialect == "sqlite":
            await conn.exec_driver_sql("PRAGMA secure_delete = ON")
        ids = select(examples.c.id).where(where)
        await conn.execute(delete(passages).where(passages.c.example_id.in_(ids)))
        return (await conn.execute(delete(examples).where(where))).rowcount


# --- jobs ---


async def add_job(storage: Storage, job: JobRow) -> None:
    async with storage.session.begin() as session:
        await session.execute(jobs.insert().values(**attrs.asdict(job)))


async def update_job(storage: Storage, job_id: str, **values: Any) -> None:
    """Change stored fields of a job (status, fine_tuned_model, error, announced)."""
    async with storage.session.begin() as session:
        await session.execute(
            update(jobs).where(jobs.c.id == job_id).values(**values, updated_at=time.time())
        )


async def claim_announcement(storage: Storage, job_id: str) -> bool:
    """Mark the job announced; False when another process (shard) already did."""
    stmt = (
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.announced.is_(False))
        .values(announced=True, updated_at=time.time())
    )
    async with storage.session.begin() as session:
        return (await session.execute(stmt)).rowcount == 1


async def guild_jobs(storage: Storage, guild_id: str | None, limit: int) -> list[JobRow]:
    """The guild's most recent jobs, newest first."""
    query = (
        select(jobs)
        .where(jobs.c.guild_id == guild_key(guild_id))
        .order_by(jobs.c.created_at.desc())
        .limit(limit)
    )
    return await _job_rows(storage, query)


async def get_job(storage: Storage, guild_id: str | None, job_id: str) -> JobRow | None:
    query = select(jobs).where(jobs.c.guild_id == guild_key(guild_id), jobs.c.id == job_id)
    found = await _job_rows(storage, query)
    return found[0] if found else None


async def unsettled_jobs(storage: Storage) -> list[JobRow]:
    """Jobs (of every provider) still running or whose outcome was not announced."""
    query = (
        select(jobs)
        .where(or_(jobs.c.status.not_in(FINAL_STATUSES), jobs.c.announced.is_(False)))
        .order_by(jobs.c.created_at)
    )
    return await _job_rows(storage, query)


async def dataset_jobs(storage: Storage, datasets_of: list[tuple[str, str]]) -> list[JobRow]:
    """The jobs trained on any of these (guild key, dataset name) datasets."""
    if not datasets_of:
        return []
    query = select(jobs).where(tuple_(jobs.c.guild_id, jobs.c.dataset).in_(datasets_of))
    return await _job_rows(storage, query)


async def forget_training_file(storage: Storage, job_id: str) -> None:
    await update_job(storage, job_id, training_file="")


async def fine_tuned_models(storage: Storage, guild_id: str | None) -> list[str]:
    """Models the guild's succeeded jobs produced, newest first."""
    query = (
        select(jobs.c.fine_tuned_model)
        .where(
            jobs.c.guild_id == guild_key(guild_id),
            jobs.c.status == "succeeded",
            jobs.c.fine_tuned_model.is_not(None),
        )
        .order_by(jobs.c.created_at.desc())
    )
    async with storage.session() as session:
        return list((await session.execute(query)).scalars())


async def _job_rows(storage: Storage, query: Any) -> list[JobRow]:
    async with storage.session() as session:
        rows = (await session.execute(query)).mappings().all()
    return [JobRow(**row) for row in rows]
