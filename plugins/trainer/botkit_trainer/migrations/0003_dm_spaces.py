"""Each person's direct messages are a space of their own.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

Datasets, passages and jobs of direct messages were all stored under the guild id "" (one
space shared by every DM). A DM dataset is split by the authors of its examples: each
author's examples move to a dataset of the same name in ``dm:<author id>``; examples without
an author (files the owner's ``!train dir`` read), datasets without examples and DM jobs go
to the bot's first owner, ``dm:<owner id>``. Passages follow their example's dataset.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

datasets = sa.table(
    "trainer_datasets",
    sa.column("id", sa.Integer),
    sa.column("guild_id", sa.String),
    sa.column("name", sa.String),
    sa.column("created_at", sa.Float),
)
examples = sa.table(
    "trainer_examples",
    sa.column("id", sa.Integer),
    sa.column("dataset_id", sa.Integer),
    sa.column("author_id", sa.String),
    sa.column("content_hash", sa.String),
)
passages = sa.table(
    "trainer_passages", sa.column("example_id", sa.Integer), sa.column("guild_id", sa.String)
)
jobs = sa.table("trainer_jobs", sa.column("guild_id", sa.String))


def outside(table: sa.TableClause) -> sa.ColumnElement[bool]:
    return sa.or_(table.c.guild_id == "", table.c.guild_id.is_(None))


def upgrade() -> None:
    bind = op.get_bind()
    owner = op.get_context().opts.get("botkit_owner_id", "")
    found = bind.execute(
        sa.select(datasets.c.id, datasets.c.name, datasets.c.created_at).where(outside(datasets))
    ).all()
    for dataset_id, name, created_at in found:
        authors = bind.execute(
            sa.select(examples.c.author_id).where(examples.c.dataset_id == dataset_id).distinct()
        ).scalars()
        by_space: dict[str, list[str]] = {}
        for author in authors:
            by_space.setdefault(f"dm:{author or owner}", []).append(author or "")
        first, *others = sorted(by_space) or [f"dm:{owner}"]
        bind.execute(datasets.update().where(datasets.c.id == dataset_id).values(guild_id=first))
        for space in others:
            new_id = bind.execute(
                datasets.insert()
                .values(guild_id=space, name=name, created_at=created_at)
                .returning(datasets.c.id)
            ).scalar_one()
            bind.execute(
                examples.update()
                .where(
                    examples.c.dataset_id == dataset_id,
                    examples.c.author_id.in_(by_space[space]),
                )
                .values(dataset_id=new_id)
            )
    space_of_example = (
        sa.select(datasets.c.guild_id)
        .select_from(datasets.join(examples, examples.c.dataset_id == datasets.c.id))
        .where(examples.c.id == passages.c.example_id)
        .scalar_subquery()
    )
    bind.execute(passages.update().where(outside(passages)).values(guild_id=space_of_example))
    bind.execute(jobs.update().where(outside(jobs)).values(guild_id=f"dm:{owner}"))


def downgrade() -> None:
    """Back to one space for every DM: the split datasets of one name join the first again
    (an example already there by content is dropped, as the unique constraint demands)."""
    bind = op.get_bind()
    in_dms = datasets.c.guild_id.like("dm:%")
    found = bind.execute(
        sa.select(datasets.c.id, datasets.c.name).where(in_dms).order_by(datasets.c.id)
    ).all()
    kept: dict[str, int] = {}
    for dataset_id, name in found:
        if name not in kept:
            kept[name] = dataset_id
            continue
        there = sa.select(examples.c.content_hash).where(examples.c.dataset_id == kept[name])
        doubles = sa.select(examples.c.id).where(
            examples.c.dataset_id == dataset_id, examples.c.content_hash.in_(there)
        )
        bind.execute(passages.delete().where(passages.c.example_id.in_(doubles)))
        bind.execute(
            examples.delete().where(
                examples.c.dataset_id == dataset_id, examples.c.content_hash.in_(there)
            )
        )
        bind.execute(
            examples.update()
            .where(examples.c.dataset_id == dataset_id)
            .values(dataset_id=kept[name])
        )
        bind.execute(datasets.delete().where(datasets.c.id == dataset_id))
    bind.execute(datasets.update().where(in_dms).values(guild_id=""))
    for table in (passages, jobs):
        bind.execute(table.update().where(table.c.guild_id.like("dm:%")).values(guild_id=""))
