"""Reading and writing datasets, examples and job rows."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

import attrs
from sqlalchemy import case, delete, func, or_, select, tuple_, update

from botkit_trainer.rows import FINAL_STATUSES, JobRow, NewExample
from botkit_trainer.tables import datasets, examples, jobs, passages, people

Storage = Any  # botkit's Storage: .session, .engine, .dialect
DM_PREFIX = "dm:"  # the space of one person's direct messages: dm:<user id>


def is_dm(space: str) -> bool:
    return space.startswith(DM_PREFIX) or not space


def content_hash(kind: str, content: str) -> str:
    return hashlib.sha256(f"{kind}\n{content}".encode()).hexdigest()


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


async def dataset_id(storage: Storage, space: str, name: str, *, create: bool) -> int | None:
    """The id of dataset ``name`` in the space, created when asked to."""
    query = select(datasets.c.id).where(datasets.c.guild_id == space, datasets.c.name == name)
    async with storage.session.begin() as session:
        if create:
            row = {"guild_id": space, "name": name, "created_at": time.time()}
            await session.execute(storage.insert(datasets).values(**row).on_conflict_do_nothing())
        return (await session.execute(query)).scalar_one_or_none()


async def add_examples(
    storage: Storage, dataset: int, space: str, items: Sequence[NewExample]
) -> Added:
    """Store new examples and their passages; an example already in the dataset is not
    stored again, but its people are added to the stored one's."""
    inserted: list[bool] = []
    passage_count = 0
    async with storage.session.begin() as session:
        for item in items:
            digest = content_hash(item.kind, item.content)
            row = {
                "label": item.label,
                "kind": item.kind,
                "source": item.source,
                "content": item.content,
                "name": item.name,
                "author_id": item.author_id,
                "dataset_id": dataset,
                "content_hash": digest,
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
            stored_id = example_id or await session.scalar(
                select(examples.c.id).where(
                    examples.c.dataset_id == dataset, examples.c.content_hash == digest
                )
            )
            if item.people:
                await session.execute(
                    storage.insert(people)
                    .values([{"example_id": stored_id, "user_id": u} for u in item.people])
                    .on_conflict_do_nothing()
                )
            if example_id is None:
                continue
            if item.passages:
                await session.execute(
                    passages.insert(),
                    [
                        {
                            "example_id": example_id,
                            "guild_id": space,
                            "position": i,
                            "text": text,
                        }
                        for i, text in enumerate(item.passages)
                    ],
                )
                passage_count += len(item.passages)
    return Added(inserted, passage_count)


async def dataset_summaries(storage: Storage, space: str) -> list[DatasetSummary]:
    """Every dataset of the space with its example counts, by name."""

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
        .where(datasets.c.guild_id == space)
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
    """What the examples holding a user's words left: how many, their uploaded files, and
    their datasets."""

    examples: int
    documents: int
    files: list[str]
    datasets: list[tuple[str, str]]  # (space, dataset name)


def _holding(user_id: str) -> Any:
    """The examples holding the user's words: theirs, and those naming them among its people."""
    named = select(people.c.example_id).where(people.c.user_id == user_id)
    return or_(examples.c.author_id == user_id, examples.c.id.in_(named))


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
        .where(_holding(user_id))
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
    """Delete every example holding the user's words (passages and people go with them);
    return how many. On SQLite the freed pages are overwritten (``secure_delete``), so the
    text leaves the file too."""
    async with storage.engine.begin() as conn:
        if storage.dialect == "sqlite":
            await conn.exec_driver_sql("PRAGMA secure_delete = ON")
        ids = list((await conn.execute(select(examples.c.id).where(_holding(user_id)))).scalars())
        if not ids:
            return 0
        await conn.execute(delete(passages).where(passages.c.example_id.in_(ids)))
        await conn.execute(delete(people).where(people.c.example_id.in_(ids)))
        return (await conn.execute(delete(examples).where(examples.c.id.in_(ids)))).rowcount


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


async def space_jobs(storage: Storage, space: str, limit: int) -> list[JobRow]:
    """The space's most recent jobs, newest first."""
    query = (
        select(jobs).where(jobs.c.guild_id == space).order_by(jobs.c.created_at.desc()).limit(limit)
    )
    return await _job_rows(storage, query)


async def get_job(storage: Storage, space: str, job_id: str) -> JobRow | None:
    query = select(jobs).where(jobs.c.guild_id == space, jobs.c.id == job_id)
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
    """The jobs trained on any of these (space, dataset name) datasets."""
    if not datasets_of:
        return []
    query = select(jobs).where(tuple_(jobs.c.guild_id, jobs.c.dataset).in_(datasets_of))
    return await _job_rows(storage, query)


async def forget_training_file(storage: Storage, job_id: str) -> None:
    await update_job(storage, job_id, training_file="")


async def fine_tuned_models(storage: Storage, space: str) -> list[str]:
    """Models the space's succeeded jobs produced, newest first."""
    query = (
        select(jobs.c.fine_tuned_model)
        .where(
            jobs.c.guild_id == space,
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
